
/** Placeholder: filled in by the work on this area. */
export function ConfirmInvitePage() {
  return <p>Not built yet.</p>;
}
