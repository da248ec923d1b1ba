import { authorizeSuperuser } from '../auth/authorize.js';
import { NotFound } from '../errors.js';
import { findNamespace, type Namespace } from '../model/namespaces.js';
import {
  changeQuotaLimitBytes,
  createNamespaceQuota,
  deleteNamespaceQuota,
  getNamespaceQuota,
  listNamespaceQuotas,
} from '../model/quota.js';
import { quotaSizeLabel } from '../model/quota-units.js';
import { QuotaSizeBody, requestedLimitBytes, requireQuotaEndpoints } from './quota.js';
import { quotaView } from './quota-views.js';
import type { ApiCall, ApiRouter } from './router.js';
import { superuserReading, superuserWriting } from './superuser-access.js';
import { logApiAction } from './usage-log.js';

/**
 * The superuser panel's quota endpoints (Quay's SuperUserUserQuotaList and SuperUserUserQuota):
 * list, create, resize and delete the quota of any user or organization. As in Quay, the users/
 * and organization/ paths behave alike and accept either kind of namespace; limits are managed
 * through the organization quota endpoints.
 */

const KINDS = ['users', 'organization'] as const;

async function namespaceParam(call: ApiCall<unknown, unknown>): Promise<Namespace> {
  const name = call.params['namespace'] ?? '';
  const namespace = await findNamespace(call.ctx.db, name);
  if (!namespace || namespace.kind === 'robot' || namespace.deleted_at !== null) {
    throw new NotFound('namespace', `namespace ${name} not found`);
  }
  return namespace;
}

function logQuotaAction(
  call: ApiCall<unknown, unknown>,
  kind: 'org_create_quota' | 'org_change_quota' | 'org_delete_quota',
  namespace: Namespace,
  limitBytes: number,
  extra: Record<string, unknown> = {},
): Promise<void> {
  return logApiAction(call, {
    kind,
    namespaceId: namespace.id,
    metadata: { namespace: namespace.name, limit_bytes: limitBytes, limit: quotaSizeLabel(limitBytes), ...extra },
  });
}

export function registerSuperuserQuotaRoutes(router: ApiRouter): void {
  for (const kind of KINDS) {
    const base = `/api/v1/superuser/${kind}/{namespace}/quota`;
    const noun = kind === 'users' ? 'User' : 'Organization';

    router.add({
      method: 'GET',
      path: base,
      operationId: `list${noun}QuotaSuperUser`,
      summary: "A namespace's quota (superusers and global read-only superusers).",
      tag: 'superuser',
      internal: true,
      async handler(call) {
        requireQuotaEndpoints(call.ctx);
        await superuserReading(call, { freshLogin: true });
        const namespace = await namespaceParam(call);
        return (await listNamespaceQuotas(call.ctx.db, namespace.id)).map((q) => quotaView(call.ctx.config, q));
      },
    });

    router.add({
      method: 'POST',
      path: base,
      operationId: `create${noun}QuotaSuperUser`,
      summary: "Create a namespace's quota (superusers).",
      tag: 'superuser',
      internal: true,
      body: QuotaSizeBody,
      status: 201,
      async handler(call) {
        requireQuotaEndpoints(call.ctx);
        const limitBytes = requestedLimitBytes(call.body, 'Invalid limit format', false) ?? 0;
        await superuserWriting(call);
        const namespace = await namespaceParam(call);
        await createNamespaceQuota(call.ctx.db, namespace.id, limitBytes, `Quota for '${namespace.name}' already exists`);
        await logQuotaAction(call, 'org_create_quota', namespace, limitBytes);
        return 'Created';
      },
    });

    router.add({
      method: 'PUT',
      path: `${base}/{quota_id}`,
      operationId: `change${noun}QuotaSuperUser`,
      summary: "Change the size of a namespace's quota (superusers).",
      tag: 'superuser',
      internal: true,
      body: QuotaSizeBody,
      async handler(call) {
        requireQuotaEndpoints(call.ctx);
        const limitBytes = requestedLimitBytes(call.body, 'Invalid limit format', true);
        await superuserWriting(call);
        const namespace = await namespaceParam(call);
        const quota = await getNamespaceQuota(call.ctx.db, namespace.id, call.params['quota_id'] ?? '');
        if (limitBytes) {
          await changeQuotaLimitBytes(call.ctx.db, quota.id, limitBytes);
          await logQuotaAction(call, 'org_change_quota', namespace, limitBytes, { previous_limit_bytes: quota.limitBytes });
        }
        return quotaView(call.ctx.config, await getNamespaceQuota(call.ctx.db, namespace.id, quota.id));
      },
    });

    router.add({
      method: 'DELETE',
      path: `${base}/{quota_id}`,
      operationId: `delete${noun}QuotaSuperUser`,
      summary: "Delete a namespace's quota and its limits (superusers).",
      tag: 'superuser',
      internal: true,
      status: 204,
      async handler(call) {
        requireQuotaEndpoints(call.ctx);
        // Quay asks for no fresh login here.
        authorizeSuperuser(call.actor);
        const namespace = await namespaceParam(call);
        const quota = await getNamespaceQuota(call.ctx.db, namespace.id, call.params['quota_id'] ?? '');
        await deleteNamespaceQuota(call.ctx.db, quota.id);
        await logQuotaAction(call, 'org_delete_quota', namespace, quota.limitBytes, { quota_id: quota.id });
        return undefined;
      },
    });
  }
}
