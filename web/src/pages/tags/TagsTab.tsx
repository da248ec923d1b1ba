import type { RepositoryTabProps } from '../../api/repository';
/** Placeholder: filled in by the work on this area. */
export function TagsTab(_props: RepositoryTabProps) {
  return <p>Not built yet.</p>;
}
