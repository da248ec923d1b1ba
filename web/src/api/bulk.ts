/**
 * Bulk actions (delete the selected tags, grant a robot several repositories...): one API write per
 * item, one after another so that a large selection does not flood the server, and every failure
 * kept with its item so the page can say exactly what did not happen.
 */

export interface BulkOutcome<T> {
  succeeded: T[];
  failures: { item: T; error: unknown }[];
}

export async function runEach<T>(items: Iterable<T>, write: (item: T) => Promise<unknown>): Promise<BulkOutcome<T>> {
  const outcome: BulkOutcome<T> = { succeeded: [], failures: [] };
  for (const item of items) {
    try {
      await write(item);
      outcome.succeeded.push(item);
    } catch (error) {
      outcome.failures.push({ item, error });
    }
  }
  return outcome;
}
