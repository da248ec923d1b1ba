
/** Placeholder: filled in by the work on this area. */
export function TagDetailsPage(_props: { namespace: string; name: string; tag: string }) {
  return <p>Not built yet.</p>;
}
