import type { OrganizationTabProps } from '../../api/organization';
/** Placeholder: filled in by the work on this area. */
export function OrganizationSettings(_props: OrganizationTabProps) {
  return <p>Not built yet.</p>;
}
