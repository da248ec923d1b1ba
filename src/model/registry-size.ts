import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/tables.js';

/**
 * The registry's size (Quay's QuotaRegistrySize): the bytes of every stored blob, each counted
 * once however many repositories and manifests share it. Blob rows are content-addressed, so the
 * sum over the blob table is the sum of distinct blobs.
 */
export async function registrySizeBytes(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('blob')
    .select(sql<string | number | null>`sum(size)`.as('total'))
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}
