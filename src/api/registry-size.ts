import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from '../model/clock.js';
import { registrySizeBytes } from '../model/registry-size.js';
import type { ApiRouter } from './router.js';
import { superuserReading, superuserWriting } from './superuser-access.js';

/**
 * The registry's size in the superuser panel (Quay's SuperUserRegistrySize). Quay keeps the last
 * result of a queued background calculation; summing the blob table is one aggregate query, so
 * Quayside computes it on every request and reports it in Quay's shape, never running or queued.
 */

async function currentSize(db: Kysely<Database>) {
  const sizeBytes = await registrySizeBytes(db);
  return { size_bytes: sizeBytes, last_ran: nowMs(), running: false, queued: false };
}

export function registerRegistrySizeRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/superuser/registrysize/',
    summary: 'The total size of the stored blobs, each counted once (superusers and global read-only superusers).',
    tag: 'superuser',
    internal: true,
    async handler(call) {
      await superuserReading(call, { freshLogin: true });
      return currentSize(call.ctx.db);
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/superuser/registrysize/',
    summary: 'Recalculate the registry size (superusers only); the result is in the response and in the next GET.',
    tag: 'superuser',
    internal: true,
    status: 201,
    async handler(call) {
      await superuserWriting(call);
      return currentSize(call.ctx.db);
    },
  });
}
