import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Kysely, Selectable } from 'kysely';
import type { Database, ServiceKeyTable } from '../db/tables.js';
import { Invalid } from '../errors.js';
import { nowMs } from './clock.js';
import { nullableNumber } from './narrow.js';
import { parseStoredJsonObject } from './json-text.js';

/**
 * Service keys (Quay's ServiceKey): public keys (JWK) of whatever signs tokens the registry trusts.
 * The instance's own registry-token keys are published here by auth/registry-jwt.ts and approved
 * automatically; superusers create, approve, change and delete others through the API. A key
 * that waits for approval is listed but never used to verify anything.
 */

/** Quay's ServiceKeyApprovalType, stored and reported the way Quay stores the enum. */
export const SERVICE_KEY_APPROVAL = {
  superuser: 'ServiceKeyApprovalType.SUPERUSER',
  keyRotation: 'ServiceKeyApprovalType.KEY_ROTATION',
  automatic: 'ServiceKeyApprovalType.AUTOMATIC',
} as const;
export type ServiceKeyApprovalType = (typeof SERVICE_KEY_APPROVAL)[keyof typeof SERVICE_KEY_APPROVAL];

const INSTANCE_KEY_NAME = 'Instance registry token key';

// Quay's rules: service names are lower-case identifiers; friendly names a few printable characters.
const SERVICE_NAME = /^[a-z0-9_]+$/;
const KEY_NAME = /^[\s a-zA-Z0-9\-_:/]*$/;
const MAX_NAME_LENGTH = 255;

export function validateServiceName(service: string): void {
  if (service.length > MAX_NAME_LENGTH || !SERVICE_NAME.test(service)) {
    throw new Invalid('input', `invalid service name "${service}": use lower-case letters, digits and _`);
  }
}

export function validateServiceKeyName(name: string): void {
  if (name.length > MAX_NAME_LENGTH || !KEY_NAME.test(name)) {
    throw new Invalid('input', `invalid service key friendly name: ${name}`);
  }
}

export interface ServiceKeyApproval {
  type: string;
  approverId: number | null;
  approvedAt: number | null;
  notes: string;
}

export interface ServiceKey {
  kid: string;
  service: string;
  name: string;
  jwk: Record<string, unknown>;
  metadata: Record<string, unknown>;
  createdAt: number;
  expiresAt: number | null;
  rotationDurationS: number | null;
  /** null while the key waits for a superuser's approval. */
  approval: ServiceKeyApproval | null;
}

function toServiceKey(row: Selectable<ServiceKeyTable>): ServiceKey {
  return {
    kid: row.kid,
    service: row.service,
    name: row.name ?? '',
    jwk: parseStoredJsonObject(row.jwk),
    metadata: parseStoredJsonObject(row.metadata),
    createdAt: Number(row.created_at),
    expiresAt: nullableNumber(row.expires_at),
    rotationDurationS: nullableNumber(row.rotation_duration_s),
    approval:
      row.approval_type === null
        ? null
        : {
            type: row.approval_type,
            approverId: row.approver_id,
            approvedAt: nullableNumber(row.approved_at),
            notes: row.approval_notes ?? '',
          },
  };
}

// ---- the instance's own keys (auth/registry-jwt.ts) ----------------------------------------

export interface PublishedKey {
  kid: string;
  service: string;
  jwk: string;
}

/** Inserts the key (created now, approved automatically), or extends its expiry when it is already published. */
export async function publishServiceKey(
  db: Kysely<Database>,
  key: PublishedKey,
  now: number,
  expiresAt: number,
): Promise<void> {
  const renewed = await db
    .updateTable('service_key')
    .set({ expires_at: expiresAt })
    .where('kid', '=', key.kid)
    .executeTakeFirst();
  if (Number(renewed.numUpdatedRows) > 0) return;
  await db
    .insertInto('service_key')
    .values({
      ...key,
      name: INSTANCE_KEY_NAME,
      created_at: now,
      expires_at: expiresAt,
      approval_type: SERVICE_KEY_APPROVAL.automatic,
      approved_at: now,
      approval_notes: '',
    })
    .execute();
}

export async function deleteExpiredServiceKeys(db: Kysely<Database>, service: string): Promise<void> {
  await db
    .deleteFrom('service_key')
    .where('service', '=', service)
    .where('expires_at', 'is not', null)
    .where('expires_at', '<', nowMs())
    .execute();
}

/** An approved, unexpired key of `service` by kid: the only kind a token may be verified with. */
export async function findServiceKey(
  db: Kysely<Database>,
  service: string,
  kid: string,
): Promise<{ jwk: string; expires_at: number | null } | undefined> {
  const now = nowMs();
  const row = await db
    .selectFrom('service_key')
    .select(['jwk', 'expires_at'])
    .where('kid', '=', kid)
    .where('service', '=', service)
    .where('approval_type', 'is not', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  return row && { jwk: row.jwk, expires_at: row.expires_at === null ? null : Number(row.expires_at) };
}

// ---- administration (superuser API) ---------------------------------------------------------

/** Every key, approved or not, expired or not, oldest first. */
export async function listServiceKeys(db: Kysely<Database>): Promise<ServiceKey[]> {
  const rows = await db.selectFrom('service_key').selectAll().orderBy('created_at').orderBy('kid').execute();
  return rows.map(toServiceKey);
}

/** The key with this kid, approved or not, expired or not. */
export async function getServiceKey(db: Kysely<Database>, kid: string): Promise<ServiceKey | undefined> {
  const row = await db.selectFrom('service_key').selectAll().where('kid', '=', kid).executeTakeFirst();
  return row && toServiceKey(row);
}

export interface NewServiceKey {
  kid: string;
  service: string;
  name: string;
  jwk: Record<string, unknown>;
  metadata: Record<string, unknown>;
  expiresAt: number | null;
  rotationDurationS?: number | null;
  /** Approved at once; without it the key waits for approval (see approveServiceKey). */
  approval?: ApprovalInput | undefined;
}

/** Stores a public key. */
export async function insertServiceKey(db: Kysely<Database>, input: NewServiceKey): Promise<ServiceKey> {
  validateServiceName(input.service);
  validateServiceKeyName(input.name);
  const row = await db
    .insertInto('service_key')
    .values({
      kid: input.kid,
      service: input.service,
      name: input.name,
      jwk: JSON.stringify(input.jwk),
      metadata: JSON.stringify(input.metadata),
      created_at: nowMs(),
      expires_at: input.expiresAt,
      rotation_duration_s: input.rotationDurationS ?? null,
      ...(input.approval && {
        approval_type: input.approval.type,
        approver_id: input.approval.approverId,
        approved_at: nowMs(),
        approval_notes: input.approval.notes,
      }),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toServiceKey(row);
}

export interface GeneratedServiceKey {
  key: ServiceKey;
  /** PKCS#1 PEM. Returned once to the creator and never stored. */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo PEM. */
  publicKeyPem: string;
}

const generateRsaKeyPair = promisify(generateKeyPair);

/** The public half as a JWK, identified by its RFC 7638 thumbprint (as Quay does). */
async function publicJwk(publicKey: KeyObject): Promise<JWK> {
  const { kty, n, e } = publicKey.export({ format: 'jwk' });
  const jwk: JWK = { kty: kty ?? 'RSA', n: n ?? '', e: e ?? '' };
  return { ...jwk, kid: await calculateJwkThumbprint(jwk) };
}

/**
 * Generates a 2048-bit RSA key pair and stores its public half. The private key exists only in
 * the returned value.
 */
export async function generateServiceKey(
  db: Kysely<Database>,
  input: Omit<NewServiceKey, 'kid' | 'jwk'>,
): Promise<GeneratedServiceKey> {
  validateServiceName(input.service);
  validateServiceKeyName(input.name);
  const { publicKey, privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
  const jwk = await publicJwk(publicKey);
  const key = await insertServiceKey(db, { ...input, kid: jwk.kid ?? '', jwk: { ...jwk } });
  return {
    key,
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export interface ApprovalInput {
  type: ServiceKeyApprovalType;
  approverId: number | null;
  notes: string;
}

/** Approves a waiting key: 'approved', 'already-approved', or 'missing'. */
export async function approveServiceKey(
  db: Kysely<Database>,
  kid: string,
  approval: ApprovalInput,
): Promise<'approved' | 'already-approved' | 'missing'> {
  const result = await db
    .updateTable('service_key')
    .set({
      approval_type: approval.type,
      approver_id: approval.approverId,
      approved_at: nowMs(),
      approval_notes: approval.notes,
    })
    .where('kid', '=', kid)
    .where('approval_type', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) return 'approved';
  return (await getServiceKey(db, kid)) ? 'already-approved' : 'missing';
}

export interface ServiceKeyChanges {
  name?: string | undefined;
  /** Merged into the stored metadata, key by key (Quay's update). */
  metadata?: Record<string, unknown> | undefined;
  /** A new expiry; null means never. Undefined leaves it. */
  expiresAt?: number | null | undefined;
}

/** Changes a key's name, metadata or expiry; the updated key, or undefined when there is none. */
export async function updateServiceKey(
  db: Kysely<Database>,
  kid: string,
  changes: ServiceKeyChanges,
): Promise<ServiceKey | undefined> {
  if (changes.name !== undefined) validateServiceKeyName(changes.name);
  return db.transaction().execute(async (trx) => {
    const key = await getServiceKey(trx, kid);
    if (!key) return undefined;
    const set: { name?: string; metadata?: string; expires_at?: number | null } = {};
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.metadata !== undefined) set.metadata = JSON.stringify({ ...key.metadata, ...changes.metadata });
    if (changes.expiresAt !== undefined) set.expires_at = changes.expiresAt;
    if (Object.keys(set).length === 0) return key;
    const row = await trx.updateTable('service_key').set(set).where('kid', '=', kid).returningAll().executeTakeFirstOrThrow();
    return toServiceKey(row);
  });
}

/** Deletes the key; the deleted key, or undefined when there was none. */
export async function deleteServiceKey(db: Kysely<Database>, kid: string): Promise<ServiceKey | undefined> {
  const row = await db.deleteFrom('service_key').where('kid', '=', kid).returningAll().executeTakeFirst();
  return row && toServiceKey(row);
}
