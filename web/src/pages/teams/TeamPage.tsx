
/** Placeholder: filled in by the work on this area. */
export function TeamPage() {
  return <p>Not built yet.</p>;
}
