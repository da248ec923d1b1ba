
/** Placeholder: filled in by the work on this area. */
export function OrganizationsListPage() {
  return <p>Not built yet.</p>;
}
