import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { ACCOUNT_SUMMARY_COLUMNS, type AccountSummary, accountSummary } from './namespaces.js';

/**
 * The live accounts (users, organizations, robots) with these ids, for views that name accounts
 * stored by id (usage logs). Deleted accounts are left out: their rows only await clean-up.
 */
export async function liveAccountsById(db: Kysely<Database>, ids: Iterable<number>): Promise<Map<number, AccountSummary>> {
  const wanted = [...new Set(ids)];
  const accounts = new Map<number, AccountSummary>();
  if (wanted.length === 0) return accounts;
  const rows = await db
    .selectFrom('namespace')
    .select(ACCOUNT_SUMMARY_COLUMNS)
    .where('namespace.id', 'in', wanted)
    .where('namespace.deleted_at', 'is', null)
    .execute();
  for (const row of rows) accounts.set(Number(row.id), { ...accountSummary(row), id: Number(row.id) });
  return accounts;
}
