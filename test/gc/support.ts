import { randomBytes } from 'node:crypto';
import { vi } from 'vitest';
import type { AppContext } from '../../src/context.js';
import { findRepository, type RepositoryWithNamespace } from '../../src/model/repositories.js';
import { GarbageCollector, type GcRunReport } from '../../src/workers/gc.js';
import type { TestDialect } from '../helpers/databases.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

export const GC_PASSWORD = 'gc-Tests-Pa55!';
/** PUSH_TEMP_TAG_EXPIRATION_SEC in these tests: uploads and digest pushes are held this long. */
export const PUSH_HOLD_S = 60;

export interface GcTestRegistry {
  registry: TestRegistry;
  /** Basic-auth client of user `gcuser`, who owns every test repository. */
  client: RegistryClient;
}

export async function startGcRegistry(dialect: TestDialect, overrides: Record<string, unknown> = {}): Promise<GcTestRegistry> {
  const registry = await startTestRegistry({
    dialect,
    overrides: { PUSH_TEMP_TAG_EXPIRATION_SEC: PUSH_HOLD_S, ...overrides },
  });
  await registry.createUser('gcuser', GC_PASSWORD);
  const client = new RegistryClient(registry.url, basicAuth('gcuser', GC_PASSWORD));
  return { registry, client };
}

export function uniqueRepo(prefix: string): string {
  return `gcuser/${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function repositoryOf(registry: TestRegistry, path: string): Promise<RepositoryWithNamespace> {
  const [namespace, ...rest] = path.split('/');
  const repo = await findRepository(registry.ctx.db, { namespace: namespace!, name: rest.join('/') });
  if (!repo) throw new Error(`no repository ${path}`);
  return repo;
}

/** Sets gcuser's time machine window (removed_tag_expiration_s). */
export async function setTimeMachine(registry: TestRegistry, seconds: number): Promise<void> {
  await registry.ctx.db.updateTable('namespace').set({ removed_tag_expiration_s: seconds }).where('name', '=', 'gcuser').execute();
}

/**
 * Runs one GC pass as if `aheadMs` had passed (Date only is faked; the database and sockets run
 * on). A fresh collector each time: a collector remembers how far its search for untagged
 * manifests got, which a jump back from the faked future would confuse.
 */
export async function collectAfter(registry: TestRegistry, aheadMs: number, ctx: AppContext = registry.ctx): Promise<GcRunReport> {
  const collector = new GarbageCollector(ctx);
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + aheadMs });
  try {
    return await collector.run();
  } finally {
    vi.useRealTimers();
  }
}

export async function blobRow(registry: TestRegistry, digest: string) {
  return registry.ctx.db.selectFrom('blob').select(['id', 'digest']).where('digest', '=', digest).executeTakeFirst();
}

/** Whether the preferred storage location holds the blob's bytes. */
export async function stored(registry: TestRegistry, digest: string): Promise<boolean> {
  return (await registry.ctx.storage.preferred.stat(digest)) !== null;
}

export async function manifestRow(registry: TestRegistry, repositoryId: number, digest: string) {
  return registry.ctx.db
    .selectFrom('manifest')
    .select(['id', 'digest'])
    .where('repository_id', '=', repositoryId)
    .where('digest', '=', digest)
    .executeTakeFirst();
}

export async function tagRows(registry: TestRegistry, repositoryId: number, name: string) {
  return registry.ctx.db
    .selectFrom('tag')
    .select(['id', 'lifetime_end_ms'])
    .where('repository_id', '=', repositoryId)
    .where('name', '=', name)
    .execute();
}
