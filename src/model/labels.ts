import { randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, LabelSourceType } from '../db/tables.js';
import { Invalid, NotFound } from '../errors.js';
import { parseDurationMs } from './durations.js';
import { nowMs } from './clock.js';
import { tagAlive } from './tags.js';

/**
 * Manifest labels (Quay's Label + ManifestLabel). Labels from the image config are imported on push
 * with source `manifest` and cannot be deleted; the API adds `api` labels. The `quay.expires-after`
 * label sets the expiry of the tags pointing at its manifest, as Quay's label handlers do.
 */

type Db = Kysely<Database> | Transaction<Database>;

export const LABEL_EXPIRY_KEY = 'quay.expires-after';
export const LABEL_MEDIA_TYPES = ['text/plain', 'application/json'] as const;
export type LabelMediaType = (typeof LABEL_MEDIA_TYPES)[number];

export interface ManifestLabel {
  uuid: string;
  key: string;
  value: string;
  mediaType: string;
  sourceType: LabelSourceType;
}

/** Quay's VALID_LABEL_KEY_REGEX: lowercase reverse-DNS-like keys, no doubled or trailing separators. */
export const VALID_LABEL_KEY = /^[a-z0-9](([a-z0-9]|[-.](?![.-]))*[a-z0-9])?$/;
const MAX_LABEL_KEY_LENGTH = 255;

export function isValidLabelKey(key: string): boolean {
  return key.length <= MAX_LABEL_KEY_LENGTH && VALID_LABEL_KEY.test(key);
}

export function hasReservedPrefix(key: string, reservedPrefixes: readonly string[]): boolean {
  return reservedPrefixes.some((prefix) => key.startsWith(prefix));
}

/** Quay's is_json: an object or array literal that parses. */
function looksLikeJson(value: string): boolean {
  const trimmed = value.trim();
  const bracketed = (trimmed.startsWith('{') && trimmed.endsWith('}')) || (trimmed.startsWith('[') && trimmed.endsWith(']'));
  if (!bracketed) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

export function inferLabelMediaType(value: string): LabelMediaType {
  return looksLikeJson(value) ? 'application/json' : 'text/plain';
}


/** The duration of a `quay.expires-after` value such as `2w`, `1d`, `3h`; null when unusable (Quay ignores those). */
export function parseExpiresAfterMs(value: string): number | null {
  const ms = parseDurationMs(value);
  return ms !== undefined && ms > 0 ? ms : null;
}

function toLabel(row: { uuid: string; key: string; value: string; media_type: string; source_type: LabelSourceType }): ManifestLabel {
  return { uuid: row.uuid, key: row.key, value: row.value, mediaType: row.media_type, sourceType: row.source_type };
}

const LABEL_COLUMNS = ['uuid', 'key', 'value', 'media_type', 'source_type'] as const;

/** The labels of a manifest in creation order, optionally only those whose key starts with `prefix`. */
export async function listManifestLabels(db: Db, manifestId: number, prefix?: string): Promise<ManifestLabel[]> {
  let query = db.selectFrom('manifest_label').select(LABEL_COLUMNS).where('manifest_id', '=', manifestId);
  if (prefix) query = query.where(sql<string>`substr(key, 1, ${prefix.length})`, '=', prefix);
  const rows = await query.orderBy('id').execute();
  return rows.map(toLabel);
}

export async function findManifestLabel(db: Db, manifestId: number, uuid: string): Promise<ManifestLabel | undefined> {
  const row = await db
    .selectFrom('manifest_label')
    .select(LABEL_COLUMNS)
    .where('manifest_id', '=', manifestId)
    .where('uuid', '=', uuid)
    .executeTakeFirst();
  return row ? toLabel(row) : undefined;
}

async function insertLabel(
  db: Db,
  manifestId: number,
  label: { key: string; value: string; mediaType: string; sourceType: LabelSourceType },
): Promise<ManifestLabel> {
  const uuid = randomUUID();
  await db
    .insertInto('manifest_label')
    .values({
      uuid,
      manifest_id: manifestId,
      key: label.key,
      value: label.value,
      media_type: label.mediaType,
      source_type: label.sourceType,
      created_at: nowMs(),
    })
    .execute();
  return { uuid, key: label.key, value: label.value, mediaType: label.mediaType, sourceType: label.sourceType };
}

/**
 * Sets the expiry of every live, visible tag pointing at the manifest to its start plus the label's
 * duration (Quay's handler for labels added after the push). Unusable values change nothing.
 */
async function applyExpiresAfter(db: Db, manifestId: number, value: string): Promise<void> {
  const durationMs = parseExpiresAfterMs(value);
  if (durationMs === null) return;
  await db
    .updateTable('tag')
    .set((eb) => ({ expires_at_ms: eb('lifetime_start_ms', '+', durationMs) }))
    .where('manifest_id', '=', manifestId)
    .where('hidden', '=', 0)
    .where(tagAlive(nowMs()))
    .execute();
}

export interface NewApiLabel {
  key: string;
  value: string;
  /** Null: inferred from the value, as Quay does. */
  mediaType: LabelMediaType | null;
}

/**
 * Adds an `api` label to a manifest and applies what it prescribes. The key must be valid; the
 * caller has already refused reserved prefixes (a configuration matter).
 */
export async function addApiLabel(db: Kysely<Database>, manifestId: number, input: NewApiLabel): Promise<ManifestLabel> {
  if (!isValidLabelKey(input.key)) {
    throw new Invalid(
      'input',
      `Label is of an invalid format or missing please use ${VALID_LABEL_KEY.source} format for labels`,
    );
  }
  const mediaType = input.mediaType ?? inferLabelMediaType(input.value);
  return db.transaction().execute(async (trx) => {
    const label = await insertLabel(trx, manifestId, { key: input.key, value: input.value, mediaType, sourceType: 'api' });
    if (label.key === LABEL_EXPIRY_KEY) await applyExpiresAfter(trx, manifestId, label.value);
    return label;
  });
}

/** Deletes an `api` label; labels from the image config are immutable, as in Quay. */
export async function deleteApiLabel(db: Kysely<Database>, manifestId: number, uuid: string): Promise<ManifestLabel> {
  const label = await findManifestLabel(db, manifestId, uuid);
  if (!label) throw new NotFound('manifest', `label ${uuid} not found on this manifest`);
  if (label.sourceType !== 'api') throw new Invalid('input', 'Cannot delete immutable label');
  await db.deleteFrom('manifest_label').where('manifest_id', '=', manifestId).where('uuid', '=', uuid).execute();
  return label;
}

const MAX_IMPORTED_LABELS = 1000;

/**
 * Stores the image config's labels on a newly created manifest as `manifest` labels. Keys are not
 * validated (Docker does not validate them either); empty and overlong keys are skipped.
 */
export async function importManifestLabels(trx: Transaction<Database>, manifestId: number, labels: Record<string, string>): Promise<void> {
  const entries = Object.entries(labels)
    .filter(([key]) => key.length > 0 && key.length <= MAX_LABEL_KEY_LENGTH)
    .slice(0, MAX_IMPORTED_LABELS);
  if (entries.length === 0) return;
  const now = nowMs();
  await trx
    .insertInto('manifest_label')
    .values(
      entries.map(([key, value]) => ({
        uuid: randomUUID(),
        manifest_id: manifestId,
        key,
        value,
        media_type: inferLabelMediaType(value),
        source_type: 'manifest' as const,
        created_at: now,
      })),
    )
    .execute();
}

/**
 * How long a tag pointed at this manifest (by a push, a move or a restore) lives, from its
 * `quay.expires-after` label; for an index
 * without one, from the value all its child manifests agree on (Quay intersects the children's
 * labels). Null: no expiry.
 */
export async function labelledTagLifetimeMs(db: Db, manifestId: number, isIndex: boolean): Promise<number | null> {
  const own = await db
    .selectFrom('manifest_label')
    .select('value')
    .where('manifest_id', '=', manifestId)
    .where('key', '=', LABEL_EXPIRY_KEY)
    .orderBy('id')
    .executeTakeFirst();
  if (own) return parseExpiresAfterMs(own.value);
  if (!isIndex) return null;
  const children = await db
    .selectFrom('manifest_child')
    .leftJoin('manifest_label', (join) =>
      join.onRef('manifest_label.manifest_id', '=', 'manifest_child.child_manifest_id').on('manifest_label.key', '=', LABEL_EXPIRY_KEY),
    )
    .select(['manifest_child.child_manifest_id as child', 'manifest_label.value as value'])
    .where('manifest_child.manifest_id', '=', manifestId)
    .orderBy('manifest_label.id')
    .execute();
  const firstValueByChild = new Map<number, string | null>();
  for (const row of children) if (!firstValueByChild.has(row.child)) firstValueByChild.set(row.child, row.value);
  const values = new Set(firstValueByChild.values());
  if (values.size !== 1) return null;
  const [value] = values;
  return value ? parseExpiresAfterMs(value) : null;
}
