
/** Placeholder: filled in by the work on this area. */
export function RepositoriesListPage() {
  return <p>Not built yet.</p>;
}

/** Placeholder: the repositories of one namespace, or of every namespace the user can read. */
export function RepositoriesTable(_props: { namespace?: string }) {
  return <p>Not built yet.</p>;
}
