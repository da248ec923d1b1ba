
/** Placeholder: filled in by the work on this area. */
export function RobotsTab(_props: { namespace: string; isOrganization: boolean }) {
  return <p>Not built yet.</p>;
}
