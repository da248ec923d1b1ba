/** How many values one `IN (…)` list carries, well inside every dialect's parameter limit. */
export const SQL_LIST_CHUNK = 500;

/** Splits `items` into lists of at most SQL_LIST_CHUNK, for statements over arbitrarily many values. */
export function sqlListChunks<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += SQL_LIST_CHUNK) chunks.push(items.slice(i, i + SQL_LIST_CHUNK));
  return chunks;
}
