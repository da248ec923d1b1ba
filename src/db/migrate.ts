import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { type Dialect, columnTypes } from './migrations/column-types.js';
import * as registryCore from './migrations/001_registry_core.js';
import * as accounts from './migrations/002_accounts.js';
import * as identity from './migrations/003_identity.js';
import * as loginBackoff from './migrations/004_login_backoff.js';
import * as apiContent from './migrations/005_api_content.js';
import * as logExport from './migrations/006_log_export.js';
import * as tagIndexes from './migrations/007_tag_indexes.js';
import * as queueNames from './migrations/008_queue_names.js';
import * as gc from './migrations/009_gc.js';
import * as quota from './migrations/010_quota.js';
import * as repoMirror from './migrations/011_repo_mirror.js';

interface DialectMigration {
  up(db: Kysely<unknown>, types: ReturnType<typeof columnTypes>): Promise<void>;
}

/** The one migration set, in order. Each migration receives the dialect's column types. */
const MIGRATIONS: Record<string, DialectMigration> = {
  '001_registry_core': registryCore,
  '002_accounts': accounts,
  '003_identity': identity,
  '004_login_backoff': loginBackoff,
  '005_api_content': apiContent,
  '006_log_export': logExport,
  '007_tag_indexes': tagIndexes,
  '008_queue_names': queueNames,
  '009_gc': gc,
  '010_quota': quota,
  '011_repo_mirror': repoMirror,
};

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const types = columnTypes(this.dialect);
    return Object.fromEntries(
      Object.entries(MIGRATIONS).map(([name, m]) => [name, { up: (db: Kysely<unknown>) => m.up(db, types) }]),
    );
  }
}

export interface MigrationReport {
  applied: string[];
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider: new StaticProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const cause = error instanceof Error ? error.message : String(error ?? 'unknown error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${cause}`);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
