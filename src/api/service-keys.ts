import { Type as T } from '@sinclair/typebox';
import type { AppContext } from '../context.js';
import { Invalid, NotFound } from '../errors.js';
import { nowMs } from '../model/clock.js';
import { findNamespaceById } from '../model/namespaces.js';
import { formatHttpDate } from '../model/quay-date.js';
import {
  approveServiceKey,
  deleteServiceKey,
  generateServiceKey,
  getServiceKey,
  listServiceKeys,
  SERVICE_KEY_APPROVAL,
  type ServiceKey,
  type ServiceKeyChanges,
  updateServiceKey,
  validateServiceKeyName,
} from '../model/service-keys.js';
import type { ApiCall, ApiRouter } from './router.js';
import { superuserReading, superuserWriting } from './superuser-access.js';
import { managedUserView } from './superuser-user-view.js';
import { logApiAction } from './usage-log.js';

/**
 * Service keys in the superuser panel (Quay's endpoints/api/superuser.py): list, create (the new
 * private key is shown once and never stored), inspect, rename, re-date, approve and delete.
 */

const Metadata = T.Record(T.String(), T.Unknown(), { description: "The key/value pairs of the key's metadata." });
/** Quay takes the expiry as a Unix timestamp in seconds; null never expires. */
const Expiration = T.Union([T.Number(), T.Null()], { description: 'The expiration date as a Unix timestamp, or null.' });

const NewServiceKeyBody = T.Object({
  service: T.String({ description: 'The service that authenticates with this key.' }),
  expiration: Expiration,
  name: T.Optional(T.String({ description: 'A friendly name for the key.' })),
  metadata: T.Optional(Metadata),
  notes: T.Optional(T.String({ description: 'Notes kept with the approval.' })),
});

const ServiceKeyUpdateBody = T.Object({
  name: T.Optional(T.String({ description: 'A friendly name for the key.' })),
  metadata: T.Optional(Metadata),
  // Quay also reads an empty string as "never".
  expiration: T.Optional(T.Union([T.Number(), T.Null(), T.Literal('')])),
});

const ApprovalBody = T.Object({
  notes: T.Optional(T.String({ description: 'Optional approval notes.' })),
});

/** Dates in log metadata are Unix seconds, as Quay's log writer stores datetime values. */
function epochSeconds(ms: number | null): number | null {
  return ms === null ? null : Math.floor(ms / 1000);
}

/** The superuser view of the approving user; null when the account is gone. */
async function approverView(ctx: AppContext, approverId: number | null) {
  if (approverId === null) return null;
  const user = await findNamespaceById(ctx.db, approverId);
  if (!user || user.deleted_at !== null) return null;
  return managedUserView(ctx, user);
}

async function keyView(ctx: AppContext, key: ServiceKey) {
  return {
    name: key.name,
    kid: key.kid,
    service: key.service,
    jwk: key.jwk,
    metadata: key.metadata,
    created_date: formatHttpDate(key.createdAt),
    expiration_date: formatHttpDate(key.expiresAt),
    rotation_duration: key.rotationDurationS,
    approval: key.approval && {
      approver: await approverView(ctx, key.approval.approverId),
      approval_type: key.approval.type,
      approved_date: formatHttpDate(key.approval.approvedAt),
      notes: key.approval.notes,
    },
  };
}

/** A requested expiry in milliseconds; it must lie in the future. */
function futureExpiry(seconds: number | null): number | null {
  if (seconds === null) return null;
  const ms = Math.round(seconds * 1000);
  if (!Number.isFinite(ms)) throw new Invalid('input', `Invalid expiration date: ${seconds}`);
  if (ms <= nowMs()) throw new Invalid('input', 'Expiration date cannot be in the past');
  return ms;
}

async function existingKey(call: ApiCall<unknown, unknown>): Promise<ServiceKey> {
  const kid = call.params['kid'] ?? '';
  const key = await getServiceKey(call.ctx.db, kid);
  if (!key) throw new NotFound('token', `service key ${kid} not found`);
  return key;
}

function keyLogMetadata(key: ServiceKey): Record<string, unknown> {
  return { kid: key.kid, service: key.service, name: key.name, expiration_date: epochSeconds(key.expiresAt) };
}

function registerKeyCollectionRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/superuser/keys',
    summary: 'List every service key, approved or not (superusers and global read-only superusers).',
    tag: 'superuser',
    async handler(call) {
      await superuserReading(call, { freshLogin: false });
      const keys = await listServiceKeys(call.ctx.db);
      return { keys: await Promise.all(keys.map((key) => keyView(call.ctx, key))) };
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/superuser/keys',
    summary: 'Create a service key, approved at once; the private key is in this response only (superusers only).',
    tag: 'superuser',
    body: NewServiceKeyBody,
    async handler(call) {
      const superuser = await superuserWriting(call);
      const { body, ctx } = call;
      const name = body.name ?? '';
      validateServiceKeyName(name);
      const expiresAt = futureExpiry(body.expiration);
      const metadata = { ...(body.metadata ?? {}), created_by: 'Quay Superuser Panel', creator: superuser.name, ip: call.request.ip };
      // Keys made here are approved by their creator at once, as in Quay.
      const approval = { type: SERVICE_KEY_APPROVAL.superuser, approverId: superuser.id, notes: body.notes ?? '' };
      const created = await generateServiceKey(ctx.db, { service: body.service, name, metadata, expiresAt, approval });
      const logMetadata = { ...keyLogMetadata(created.key), preshared: true, auto_approved: true };
      await logApiAction(call, { kind: 'service_key_create', namespaceId: null, metadata: logMetadata });
      await logApiAction(call, { kind: 'service_key_approve', namespaceId: null, metadata: logMetadata });
      call.reply.header('cache-control', 'no-store');
      return {
        kid: created.key.kid,
        name,
        service: body.service,
        public_key: created.publicKeyPem,
        private_key: created.privateKeyPem,
      };
    },
  });
}

function registerKeyRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/superuser/keys/{kid}',
    summary: 'Get a service key (superusers and global read-only superusers).',
    tag: 'superuser',
    async handler(call) {
      await superuserReading(call, { freshLogin: false });
      return keyView(call.ctx, await existingKey(call));
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/superuser/keys/{kid}',
    summary: "Change a service key's name, metadata or expiration (superusers only).",
    tag: 'superuser',
    body: ServiceKeyUpdateBody,
    async handler(call) {
      await superuserWriting(call);
      const { body, ctx } = call;
      const key = await existingKey(call);
      const changes: ServiceKeyChanges = { name: body.name, metadata: body.metadata };
      if (body.expiration !== undefined) changes.expiresAt = futureExpiry(body.expiration === '' ? null : body.expiration);
      const updated = await updateServiceKey(ctx.db, key.kid, changes);
      if (!updated) throw new NotFound('token', `service key ${key.kid} not found`);
      if (changes.expiresAt !== undefined) {
        await logApiAction(call, {
          kind: 'service_key_extend',
          namespaceId: null,
          metadata: { ...keyLogMetadata(updated), old_expiration_date: epochSeconds(key.expiresAt) },
        });
      }
      if (body.name !== undefined || body.metadata !== undefined) {
        await logApiAction(call, { kind: 'service_key_modify', namespaceId: null, metadata: keyLogMetadata(updated) });
      }
      return keyView(ctx, updated);
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/superuser/keys/{kid}',
    summary: 'Delete a service key; nothing it signed verifies any more (superusers only).',
    tag: 'superuser',
    status: 204,
    async handler(call) {
      await superuserWriting(call);
      const kid = call.params['kid'] ?? '';
      const deleted = await deleteServiceKey(call.ctx.db, kid);
      if (!deleted) throw new NotFound('token', `service key ${kid} not found`);
      await logApiAction(call, {
        kind: 'service_key_delete',
        namespaceId: null,
        metadata: { ...keyLogMetadata(deleted), created_date: epochSeconds(deleted.createdAt) },
      });
      return undefined;
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/superuser/approvedkeys/{kid}',
    summary: 'Approve a service key that waits for approval (superusers only).',
    tag: 'superuser',
    body: ApprovalBody,
    status: 201,
    async handler(call) {
      const superuser = await superuserWriting(call);
      const key = await existingKey(call);
      const outcome = await approveServiceKey(call.ctx.db, key.kid, {
        type: SERVICE_KEY_APPROVAL.superuser,
        approverId: superuser.id,
        notes: call.body.notes ?? '',
      });
      if (outcome === 'missing') throw new NotFound('token', `service key ${key.kid} not found`);
      // Approving an approved key changes nothing and succeeds, as in Quay.
      if (outcome === 'approved') {
        await logApiAction(call, { kind: 'service_key_approve', namespaceId: null, metadata: keyLogMetadata(key) });
      }
      return undefined;
    },
  });
}

export function registerServiceKeyRoutes(router: ApiRouter): void {
  registerKeyCollectionRoutes(router);
  registerKeyRoutes(router);
}
