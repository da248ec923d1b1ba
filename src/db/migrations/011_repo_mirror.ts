import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/**
 * Repository mirroring (Quay's RepoMirrorConfig and RepoMirrorRule, folded into one row): where the
 * mirror pulls from, with which credentials (sealed with DATABASE_SECRET_KEY), which tags, when,
 * and the state of the current or last sync. `sync_transaction_id` changes on every claim and
 * release, so two mirror workers cannot both take the same sync.
 */
export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  const columns: Array<[string, 'integer' | 'text' | 'bigint', (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder]> = [
    ['is_enabled', 'integer', (c) => c.notNull().defaultTo(1)],
    ['external_reference', 'text', (c) => c.notNull().defaultTo('')],
    ['external_registry_username', 'text', (c) => c],
    ['external_registry_password', 'text', (c) => c],
    ['external_registry_config', 'text', (c) => c.notNull().defaultTo('{}')],
    ['root_rule', 'text', (c) => c.notNull().defaultTo('[]')],
    ['sync_interval', 'integer', (c) => c.notNull().defaultTo(86400)],
    ['sync_start_date', t.bigint, (c) => c],
    ['sync_expiration_date', t.bigint, (c) => c],
    ['sync_retries_remaining', 'integer', (c) => c.notNull().defaultTo(3)],
    ['sync_status', 'text', (c) => c.notNull().defaultTo('NEVER_RUN')],
    ['sync_transaction_id', 'text', (c) => c.notNull().defaultTo('')],
    ['skopeo_timeout_interval', 'integer', (c) => c.notNull().defaultTo(300)],
    ['last_sync_started_at', t.bigint, (c) => c],
    ['last_sync_finished_at', t.bigint, (c) => c],
    ['last_sync_message', 'text', (c) => c],
  ];
  for (const [name, type, build] of columns) {
    await db.schema.alterTable('repo_mirror_config').addColumn(name, type, build).execute();
  }
  await db.schema
    .createIndex('repo_mirror_config_due')
    .on('repo_mirror_config')
    .columns(['sync_status', 'sync_start_date'])
    .execute();
}
