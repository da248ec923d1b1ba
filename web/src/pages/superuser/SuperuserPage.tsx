
/** Placeholder: filled in by the work on this area. */
export function SuperuserPage() {
  return <p>Not built yet.</p>;
}
