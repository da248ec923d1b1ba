import { type Static, Type as T } from '@sinclair/typebox';
import { authorizeOwnAccount, authorizeQuotaChange, authorizeQuotaView } from '../auth/authorize.js';
import type { AppContext } from '../context.js';
import { Invalid, NotFound } from '../errors.js';
import { findNamespace, type Namespace } from '../model/namespaces.js';
import {
  changeQuotaLimit,
  changeQuotaLimitBytes,
  createNamespaceQuota,
  createQuotaLimit,
  deleteNamespaceQuota,
  deleteQuotaLimit,
  getNamespaceQuota,
  getQuotaLimit,
  listNamespaceQuotas,
  type NamespaceQuota,
} from '../model/quota.js';
import { quotaApiEnabled } from '../model/quota-report.js';
import { parseQuotaLimit, QUOTA_LIMIT_PATTERN, quotaSizeLabel } from '../model/quota-units.js';
import { quotaLimitView, quotaView, systemDefaultQuotaView } from './quota-views.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';

/**
 * Namespace quotas (Quay's endpoints/api/namespacequota.py): organization members read their
 * organization's quota and limits, users read their own, and superusers change them. Like Quay,
 * the endpoints exist only with FEATURE_SUPER_USERS, FEATURE_QUOTA_MANAGEMENT and
 * FEATURE_EDIT_QUOTA; otherwise they answer 404. The superuser panel's variants are in
 * quota-superuser.ts.
 */

export const QuotaSizeBody = T.Object({
  limit_bytes: T.Optional(T.Integer({ description: 'Number of bytes the namespace is allowed.' })),
  limit: T.Optional(T.String({ pattern: QUOTA_LIMIT_PATTERN, description: 'The same as a size with a unit, e.g. "10 GiB".' })),
});
export type QuotaSizeInput = Static<typeof QuotaSizeBody>;

const NewLimitBody = T.Object({
  type: T.String({ description: 'Type of quota limit: "Warning" or "Reject".' }),
  threshold_percent: T.Integer({ description: 'Quota threshold, in percent of the quota.' }),
});

const ChangeLimitBody = T.Object({
  type: T.Optional(T.String({ description: 'Type of quota limit: "Warning" or "Reject".' })),
  threshold_percent: T.Optional(T.Integer({ description: 'Quota threshold, in percent of the quota.' })),
});

/** Quay hides the quota endpoints unless superusers, quota management and quota editing are all on. */
export function requireQuotaEndpoints(ctx: AppContext): void {
  if (!(ctx.config.FEATURE_SUPER_USERS && quotaApiEnabled(ctx.config))) {
    throw new NotFound('namespace', 'quota management is not enabled (FEATURE_QUOTA_MANAGEMENT, FEATURE_EDIT_QUOTA)');
  }
}

/**
 * The bytes a quota body asks for: exactly one of limit_bytes and limit (Quay's oneOf), or, when
 * `optional`, neither (undefined: no change).
 */
export function requestedLimitBytes(body: QuotaSizeInput, invalidLimitMessage: string, optional: boolean): number | undefined {
  if (body.limit_bytes !== undefined && body.limit !== undefined) {
    throw new Invalid('input', 'give either limit_bytes or limit, not both');
  }
  if (body.limit !== undefined) return parseQuotaLimit(body.limit, invalidLimitMessage);
  if (body.limit_bytes !== undefined) return body.limit_bytes;
  if (optional) return undefined;
  throw new Invalid('input', 'limit_bytes or limit is required');
}

function param(call: ApiCall<unknown, unknown>, name: string): string {
  return call.params[name] ?? '';
}

async function organizationForChange(call: ApiCall<unknown, unknown>): Promise<Namespace> {
  authorizeQuotaChange(call.ctx, call.actor);
  const name = param(call, 'orgname');
  const organization = await findNamespace(call.ctx.db, name);
  if (organization?.kind !== 'organization') throw new NotFound('namespace', `organization ${name} not found`);
  return organization;
}

async function viewedQuota(call: ApiCall<unknown, unknown>): Promise<{ organization: Namespace; quota: NamespaceQuota }> {
  requireQuotaEndpoints(call.ctx);
  const organization = await authorizeQuotaView(call.ctx, call.actor, param(call, 'orgname'));
  return { organization, quota: await getNamespaceQuota(call.ctx.db, organization.id, param(call, 'quota_id')) };
}

async function changedQuota(call: ApiCall<unknown, unknown>): Promise<{ organization: Namespace; quota: NamespaceQuota }> {
  requireQuotaEndpoints(call.ctx);
  const organization = await organizationForChange(call);
  return { organization, quota: await getNamespaceQuota(call.ctx.db, organization.id, param(call, 'quota_id')) };
}

async function ownQuota(call: ApiCall<unknown, unknown>): Promise<NamespaceQuota> {
  requireQuotaEndpoints(call.ctx);
  const user = authorizeOwnAccount(call.actor, 'user:admin');
  return getNamespaceQuota(call.ctx.db, user.id, param(call, 'quota_id'));
}

async function reloaded(call: ApiCall<unknown, unknown>, quota: NamespaceQuota): Promise<NamespaceQuota> {
  return getNamespaceQuota(call.ctx.db, quota.namespaceId, quota.id);
}

function registerOrganizationQuotaRoutes(router: ApiRouter): void {
  const base = '/api/v1/organization/{orgname}/quota';
  router.add({
    method: 'GET',
    path: base,
    operationId: 'listOrganizationQuota',
    summary: "The organization's quota (at most one), or the system default when it has none.",
    tag: 'namespacequota',
    async handler(call) {
      requireQuotaEndpoints(call.ctx);
      const organization = await authorizeQuotaView(call.ctx, call.actor, param(call, 'orgname'));
      const quotas = await listNamespaceQuotas(call.ctx.db, organization.id);
      if (quotas.length === 0 && call.ctx.config.DEFAULT_SYSTEM_REJECT_QUOTA_BYTES !== 0) {
        return [systemDefaultQuotaView(call.ctx.config)];
      }
      return quotas.map((q) => quotaView(call.ctx.config, q));
    },
  });

  router.add({
    method: 'POST',
    path: base,
    operationId: 'createOrganizationQuota',
    summary: 'Create the organization quota (superusers).',
    tag: 'namespacequota',
    body: QuotaSizeBody,
    status: 201,
    async handler(call) {
      requireQuotaEndpoints(call.ctx);
      const limitBytes = requestedLimitBytes(call.body, 'Invalid limit format, use a number followed by a unit (e.g. 1GiB)', false) ?? 0;
      const organization = await organizationForChange(call);
      await createNamespaceQuota(call.ctx.db, organization.id, limitBytes, `Organization quota for '${organization.name}' already exists`);
      await logApiAction(call, {
        kind: 'org_create_quota',
        namespaceId: organization.id,
        metadata: { namespace: organization.name, limit_bytes: limitBytes, limit: quotaSizeLabel(limitBytes) },
      });
      return 'Created';
    },
  });

  router.add({
    method: 'GET',
    path: `${base}/{quota_id}`,
    operationId: 'getOrganizationQuota',
    summary: 'One quota of the organization.',
    tag: 'namespacequota',
    async handler(call) {
      const { quota } = await viewedQuota(call);
      return quotaView(call.ctx.config, quota);
    },
  });

  router.add({
    method: 'PUT',
    path: `${base}/{quota_id}`,
    operationId: 'changeOrganizationQuota',
    summary: 'Change the size of the organization quota (superusers).',
    tag: 'namespacequota',
    body: QuotaSizeBody,
    async handler(call) {
      requireQuotaEndpoints(call.ctx);
      const limitBytes = requestedLimitBytes(call.body, 'Invalid limit format, use a number followed by a unit (e.g. 1GiB)', true);
      const { organization, quota } = await changedQuota(call);
      // Quay leaves the quota as it is for a zero or missing size.
      if (limitBytes) {
        await changeQuotaLimitBytes(call.ctx.db, quota.id, limitBytes);
        await logApiAction(call, {
          kind: 'org_change_quota',
          namespaceId: organization.id,
          metadata: {
            namespace: organization.name,
            limit_bytes: limitBytes,
            limit: quotaSizeLabel(limitBytes),
            previous_limit_bytes: quota.limitBytes,
            previous_limit: quotaSizeLabel(quota.limitBytes),
          },
        });
      }
      return quotaView(call.ctx.config, await reloaded(call, quota));
    },
  });

  router.add({
    method: 'DELETE',
    path: `${base}/{quota_id}`,
    operationId: 'deleteOrganizationQuota',
    summary: 'Delete the organization quota and its limits (superusers).',
    tag: 'namespacequota',
    status: 204,
    async handler(call) {
      const { organization, quota } = await changedQuota(call);
      await deleteNamespaceQuota(call.ctx.db, quota.id);
      await logApiAction(call, {
        kind: 'org_delete_quota',
        namespaceId: organization.id,
        metadata: {
          namespace: organization.name,
          quota_id: quota.id,
          limit_bytes: quota.limitBytes,
          limit: quotaSizeLabel(quota.limitBytes),
        },
      });
      return undefined;
    },
  });

  router.add({
    method: 'GET',
    path: `${base}/{quota_id}/limit`,
    operationId: 'listOrganizationQuotaLimit',
    summary: 'The limits of an organization quota.',
    tag: 'namespacequota',
    async handler(call) {
      const { quota } = await viewedQuota(call);
      return quota.limits.map(quotaLimitView);
    },
  });

  router.add({
    method: 'POST',
    path: `${base}/{quota_id}/limit`,
    operationId: 'createOrganizationQuotaLimit',
    summary: 'Add a Warning or Reject limit to an organization quota (superusers).',
    tag: 'namespacequota',
    body: NewLimitBody,
    status: 201,
    async handler(call) {
      const { organization, quota } = await changedQuota(call);
      await createQuotaLimit(call.ctx.db, quota, call.body.type, call.body.threshold_percent);
      await logApiAction(call, {
        kind: 'org_create_quota_limit',
        namespaceId: organization.id,
        metadata: { namespace: organization.name, type: call.body.type, threshold_percent: call.body.threshold_percent },
      });
      return 'Created';
    },
  });

  router.add({
    method: 'GET',
    path: `${base}/{quota_id}/limit/{limit_id}`,
    operationId: 'getOrganizationQuotaLimit',
    summary: 'One limit of an organization quota.',
    tag: 'namespacequota',
    async handler(call) {
      const { quota } = await viewedQuota(call);
      return quotaLimitView(getQuotaLimit(quota, param(call, 'limit_id')));
    },
  });

  router.add({
    method: 'PUT',
    path: `${base}/{quota_id}/limit/{limit_id}`,
    operationId: 'changeOrganizationQuotaLimit',
    summary: 'Change the type or threshold of a quota limit (superusers).',
    tag: 'namespacequota',
    body: ChangeLimitBody,
    async handler(call) {
      const { organization, quota } = await changedQuota(call);
      const limit = getQuotaLimit(quota, param(call, 'limit_id'));
      await changeQuotaLimit(call.ctx.db, limit.id, { type: call.body.type, percentOfLimit: call.body.threshold_percent });
      const updated = getQuotaLimit(await reloaded(call, quota), limit.id);
      await logApiAction(call, {
        kind: 'org_change_quota_limit',
        namespaceId: organization.id,
        metadata: {
          namespace: organization.name,
          type: updated.type,
          threshold_percent: updated.percentOfLimit,
          previous_type: limit.type,
          previous_threshold_percent: limit.percentOfLimit,
        },
      });
      return quotaView(call.ctx.config, await reloaded(call, quota));
    },
  });

  router.add({
    method: 'DELETE',
    path: `${base}/{quota_id}/limit/{limit_id}`,
    operationId: 'deleteOrganizationQuotaLimit',
    summary: 'Delete a quota limit (superusers).',
    tag: 'namespacequota',
    status: 204,
    async handler(call) {
      const { organization, quota } = await changedQuota(call);
      const limit = getQuotaLimit(quota, param(call, 'limit_id'));
      await deleteQuotaLimit(call.ctx.db, limit.id);
      await logApiAction(call, {
        kind: 'org_delete_quota_limit',
        namespaceId: organization.id,
        metadata: { namespace: organization.name, limit_id: limit.id, type: limit.type, threshold_percent: limit.percentOfLimit },
      });
      return undefined;
    },
  });
}

function registerUserQuotaRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/user/quota',
    operationId: 'listUserQuota',
    summary: "The signed-in user's quota (at most one).",
    tag: 'namespacequota',
    async handler(call) {
      requireQuotaEndpoints(call.ctx);
      const user = authorizeOwnAccount(call.actor, 'user:admin');
      return (await listNamespaceQuotas(call.ctx.db, user.id)).map((q) => quotaView(call.ctx.config, q));
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/user/quota/{quota_id}',
    operationId: 'getUserQuota',
    summary: "One quota of the signed-in user's namespace.",
    tag: 'namespacequota',
    async handler(call) {
      return quotaView(call.ctx.config, await ownQuota(call));
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/user/quota/{quota_id}/limit',
    operationId: 'listUserQuotaLimit',
    summary: "The limits of the signed-in user's quota.",
    tag: 'namespacequota',
    async handler(call) {
      return (await ownQuota(call)).limits.map(quotaLimitView);
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/user/quota/{quota_id}/limit/{limit_id}',
    operationId: 'getUserQuotaLimit',
    summary: "One limit of the signed-in user's quota.",
    tag: 'namespacequota',
    async handler(call) {
      return quotaLimitView(getQuotaLimit(await ownQuota(call), param(call, 'limit_id')));
    },
  });
}

export function registerQuotaRoutes(router: ApiRouter): void {
  registerOrganizationQuotaRoutes(router);
  registerUserQuotaRoutes(router);
}
