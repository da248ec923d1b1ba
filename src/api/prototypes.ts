import { performerName } from '../auth/principal.js';
import { Type as T } from '@sinclair/typebox';
import { authorizeOrganization } from '../auth/authorize.js';
import type { Namespace } from '../model/namespaces.js';
import { organizationMemberIds } from '../model/teams.js';
import {
  createPrototype,
  deletePrototype,
  getPrototype,
  listPrototypes,
  type Prototype,
  updatePrototypeRole,
} from '../model/prototypes.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';
import { teamEntityView, userEntityView } from './views.js';

/**
 * Quay's default permissions of an organization (endpoints/api/prototype.py): roles given to a
 * user, robot or team on every repository created in the organization, by anyone or by one
 * creator. Organization administrators manage them.
 */

const PREFIX = '/api/v1/organization/{orgname}/prototypes';

const Role = T.Union([T.Literal('read'), T.Literal('write'), T.Literal('admin')]);
const Name = T.String({ minLength: 1, maxLength: 255 });

const CreateBody = T.Object({
  role: Role,
  delegate: T.Object({ name: Name, kind: T.Union([T.Literal('user'), T.Literal('team')]) }),
  activating_user: T.Optional(T.Union([T.Object({ name: Name }), T.Null()])),
});

const UpdateBody = T.Object({ role: Role });

async function administeredOrganization(call: ApiCall<unknown, unknown>): Promise<Namespace> {
  return authorizeOrganization(call.ctx, call.actor, call.params['orgname'] ?? '', 'admin');
}

function prototypeView(prototype: Prototype, members: Set<number>) {
  const { delegate } = prototype;
  return {
    activating_user: prototype.activatingUser ? userEntityView(prototype.activatingUser, members) : null,
    delegate: delegate.kind === 'user' ? userEntityView(delegate.account, members) : teamEntityView(delegate.team.name),
    role: prototype.role,
    id: prototype.uuid,
  };
}

/** The accounts the prototypes name that belong to the organization, for `is_org_member`. */
async function membersAmong(call: ApiCall<unknown, unknown>, organization: Namespace, prototypes: readonly Prototype[]) {
  const ids: number[] = [];
  for (const prototype of prototypes) {
    if (prototype.activatingUser) ids.push(prototype.activatingUser.id);
    if (prototype.delegate.kind === 'user') ids.push(prototype.delegate.account.id);
  }
  return organizationMemberIds(call.ctx.db, organization.id, ids);
}

async function singleView(call: ApiCall<unknown, unknown>, organization: Namespace, prototype: Prototype) {
  return prototypeView(prototype, await membersAmong(call, organization, [prototype]));
}

/** Quay's entry for a default-permission change (endpoints/api/prototype.py log_prototype_action). */
async function logPrototypeAction(
  call: ApiCall<unknown, unknown>,
  kind: 'create_prototype_permission' | 'modify_prototype_permission' | 'delete_prototype_permission',
  organization: Namespace,
  prototype: Prototype,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const metadata: Record<string, unknown> = {
    prototypeid: prototype.uuid,
    username: performerName(call.actor.principal),
    activating_username: prototype.activatingUser?.name ?? null,
    role: prototype.role,
    ...extra,
  };
  if (prototype.delegate.kind === 'user') metadata['delegate_user'] = prototype.delegate.account.name;
  else metadata['delegate_team'] = prototype.delegate.team.name;
  await logApiAction(call, { kind, namespaceId: organization.id, metadata });
}

export function registerPrototypesRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: PREFIX,
    summary: "List an organization's default permissions.",
    tag: 'prototype',
    handler: async (call) => {
      const organization = await administeredOrganization(call);
      const prototypes = await listPrototypes(call.ctx.db, organization.id);
      const members = await membersAmong(call, organization, prototypes);
      return { prototypes: prototypes.map((p) => prototypeView(p, members)) };
    },
  });

  router.add({
    method: 'POST',
    path: PREFIX,
    summary: 'Create a default permission.',
    tag: 'prototype',
    body: CreateBody,
    handler: async (call) => {
      const organization = await administeredOrganization(call);
      const prototype = await createPrototype(call.ctx.db, {
        organization,
        role: call.body.role,
        activatingUserName: call.body.activating_user?.name,
        delegate: call.body.delegate,
      });
      await logPrototypeAction(call, 'create_prototype_permission', organization, prototype);
      return singleView(call, organization, prototype);
    },
  });

  router.add({
    method: 'PUT',
    path: `${PREFIX}/{prototypeid}`,
    summary: "Change a default permission's role.",
    tag: 'prototype',
    body: UpdateBody,
    handler: async (call) => {
      const organization = await administeredOrganization(call);
      const uuid = call.params['prototypeid'] ?? '';
      const existing = await getPrototype(call.ctx.db, organization.id, uuid);
      const prototype = await updatePrototypeRole(call.ctx.db, organization.id, uuid, call.body.role);
      await logPrototypeAction(call, 'modify_prototype_permission', organization, prototype, { original_role: existing.role });
      return singleView(call, organization, prototype);
    },
  });

  router.add({
    method: 'DELETE',
    path: `${PREFIX}/{prototypeid}`,
    summary: 'Delete a default permission.',
    tag: 'prototype',
    status: 204,
    handler: async (call) => {
      const organization = await administeredOrganization(call);
      const uuid = call.params['prototypeid'] ?? '';
      const prototype = await getPrototype(call.ctx.db, organization.id, uuid);
      await deletePrototype(call.ctx.db, organization.id, uuid);
      await logPrototypeAction(call, 'delete_prototype_permission', organization, prototype);
      return undefined;
    },
  });
}
