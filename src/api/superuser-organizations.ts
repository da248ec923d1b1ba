import { Type as T } from '@sinclair/typebox';
import { authorizeOwnershipTarget } from '../auth/authorize.js';
import { accountAvatar } from '../model/avatars.js';
import type { Namespace } from '../model/namespaces.js';
import { getOrganization, markOrganizationForDeletion } from '../model/organizations.js';
import { listNamespacesPage, renameOrganization, takeOwnership } from '../model/superuser-namespaces.js';
import { namePageQuery, namePageRequest, withNextPage } from './name-paging.js';
import type { ApiRouter } from './router.js';
import { superuserReading, superuserWriting } from './superuser-access.js';
import { logApiAction } from './usage-log.js';

/**
 * Superuser management of organizations (Quay's endpoints/api/superuser.py): list every
 * organization, rename or delete one, and take ownership of an organization or a user account.
 */

const ListQuery = T.Object(namePageQuery('Organizations'));

const UpdateOrganizationBody = T.Object({
  name: T.Optional(T.String({ maxLength: 255, description: 'The new name for the organization.' })),
});

/** Quay's superuser view of an organization. */
function organizationView(organization: Namespace) {
  return { name: organization.name, email: organization.email, avatar: accountAvatar(organization) };
}

export function registerSuperuserOrganizationRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/superuser/organizations/',
    summary: 'List all organizations (superusers and global read-only superusers).',
    tag: 'superuser',
    internal: true,
    query: ListQuery,
    async handler(call) {
      await superuserReading(call, { freshLogin: true });
      const page = await listNamespacesPage(call.ctx.db, { kind: 'organization', ...namePageRequest(call.query) });
      return withNextPage({ organizations: page.namespaces.map(organizationView) }, page.nextAfter);
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/superuser/organizations/{name}',
    summary: 'Rename an organization (superusers only).',
    tag: 'superuser',
    body: UpdateOrganizationBody,
    async handler(call) {
      const superuser = await superuserWriting(call);
      const organization = await getOrganization(call.ctx.db, call.params['name'] ?? '');
      const newName = call.body.name;
      if (newName === undefined || newName === organization.name) return organizationView(organization);
      const renamed = await renameOrganization(call.ctx.db, organization, newName);
      await logApiAction(call, {
        kind: 'org_change_name',
        namespaceId: organization.id,
        metadata: { old_name: organization.name, new_name: newName, superuser: superuser.name },
      });
      return organizationView(renamed);
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/superuser/organizations/{name}',
    summary: 'Delete an organization; its repositories are removed in the background (superusers only).',
    tag: 'superuser',
    status: 204,
    async handler(call) {
      const superuser = await superuserWriting(call);
      const organization = await getOrganization(call.ctx.db, call.params['name'] ?? '');
      // Logged first, as the organization's own delete does: the name is gone once it is marked deleted.
      await logApiAction(call, {
        kind: 'org_delete',
        namespaceId: organization.id,
        metadata: { namespace: organization.name, superuser: superuser.name },
      });
      await markOrganizationForDeletion(call.ctx.db, organization);
      return undefined;
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/superuser/takeownership/{namespace}',
    summary: 'Become an administrator of an organization, or convert a user account into an organization you administer.',
    tag: 'superuser',
    internal: true,
    async handler(call) {
      const superuser = await superuserWriting(call);
      const name = call.params['namespace'] ?? '';
      const { ctx } = call;
      await authorizeOwnershipTarget(ctx, name);
      const taken = await takeOwnership(ctx.db, name, superuser.id);
      // Quay files this entry under the superuser's own namespace.
      await logApiAction(call, {
        kind: 'take_ownership',
        namespaceId: superuser.id,
        metadata: { entity_id: taken.namespaceId, namespace: name, was_user: taken.wasUser, superuser: superuser.name },
      });
      return { namespace: name };
    },
  });
}
