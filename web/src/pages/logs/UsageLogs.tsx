/** Whose usage logs to show: GET /api/v1/{repository/ns/name | organization/org | user | superuser}/logs. */
export type LogScope =
  | { kind: 'repository'; namespace: string; name: string }
  | { kind: 'organization'; org: string }
  | { kind: 'user' }
  | { kind: 'superuser' };

/** Placeholder: filled in by the work on this area. */
export function UsageLogs(_props: { scope: LogScope }) {
  return <p>Not built yet.</p>;
}
