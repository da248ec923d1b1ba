/**
 * What the purges of deleted repositories and namespaces share: they work in chunks of rows, each
 * its own short statement or transaction, so purging a huge repository never holds one giant
 * transaction, and every chunk leaves the database consistent, so a purge cut short by a crash is
 * finished by running it again.
 */

/** Rows handled per statement or transaction. */
export const PURGE_CHUNK_ROWS = 500;

/** Told what a purge removed as it goes (the worker turns it into the gc metrics). */
export interface PurgeObserver {
  rowsDeleted(table: string, count: number): void;
  /** Blobs that left storage. */
  blobsDeleted(count: number): void;
  repositoryPurged(): void;
  /**
   * A blob the purge could not collect (storage unreachable, say). The purge goes on without it;
   * the gc worker's scan for blobs nothing references collects it later.
   */
  blobNotCollected?(blobId: number, error: unknown): void;
}

export const SILENT_OBSERVER: PurgeObserver = {
  rowsDeleted() {},
  blobsDeleted() {},
  repositoryPurged() {},
};

/** Runs `chunk` until it reports that it handled nothing. */
export async function repeatUntilDone(chunk: () => Promise<number>): Promise<void> {
  while ((await chunk()) > 0) {
    // each pass handles one chunk; the next one starts where it left off
  }
}

/** Reports a deletion's row count to the observer and returns it, for chunk loops. */
export function reported(observer: PurgeObserver, table: string, count: bigint | number): number {
  const n = Number(count);
  if (n > 0) observer.rowsDeleted(table, n);
  return n;
}
