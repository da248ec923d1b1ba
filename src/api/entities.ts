import { type Static, Type as T } from '@sinclair/typebox';
import { authorizeNamespaceAdmin, authorizeSignedIn, organizationRole } from '../auth/authorize.js';
import type { TeamRole } from '../db/tables.js';
import { Denied, Invalid, Unauthorized } from '../errors.js';
import { accountAvatar } from '../model/avatars.js';
import type { Namespace } from '../model/namespaces.js';
import { findSearchNamespace, robotsByPrefix, teamsByPrefix, usersByPrefix } from '../model/permissions.js';
import { organizationMemberIds } from '../model/teams.js';
import type { ApiCall, ApiRouter } from './router.js';
import { teamEntityView, userEntityView } from './views.js';

/**
 * Quay's entity search (endpoints/api/search.py EntitySearch): the users, robots, teams and
 * organization whose names start with a prefix, for the UI's permission pickers. Robots and teams
 * come from the `namespace` the caller is looking at, and only when the caller belongs to it.
 */

const MAX_RESULTS = 20;
/** Quay looks up at most this many users per search. */
const MAX_USERS = 10;
const MAX_PREFIX_LENGTH = 255;

const SearchQuery = T.Object({
  namespace: T.String({ default: '', maxLength: 255 }),
  includeTeams: T.Boolean({ default: false }),
  includeOrgs: T.Boolean({ default: false }),
});

type SearchCall = ApiCall<unknown, Static<typeof SearchQuery>>;

/** What the caller may see of the namespace: its robots, and for organizations its teams and itself. */
interface NamespaceAccess {
  namespace: Namespace;
  organizationRole: TeamRole | null;
  robots: boolean;
}

function normalizedPrefix(raw: string): string {
  const prefix = raw.replace(/\s+/g, '').toLowerCase();
  if (prefix.length > MAX_PREFIX_LENGTH) throw new Invalid('input', `the prefix is longer than ${MAX_PREFIX_LENGTH} characters`);
  return prefix;
}

async function administersUserNamespace(call: SearchCall, namespace: Namespace): Promise<boolean> {
  try {
    await authorizeNamespaceAdmin(call.ctx, call.actor, namespace.name);
    return true;
  } catch (err) {
    if (err instanceof Denied || err instanceof Unauthorized) return false;
    throw err;
  }
}

async function namespaceAccess(call: SearchCall): Promise<NamespaceAccess | undefined> {
  const namespace = await findSearchNamespace(call.ctx.db, call.query.namespace);
  if (!namespace) return undefined;
  if (namespace.kind === 'organization') {
    const role = await organizationRole(call.ctx, call.actor, namespace);
    return { namespace, organizationRole: role, robots: role !== null };
  }
  return { namespace, organizationRole: null, robots: await administersUserNamespace(call, namespace) };
}

async function searchEntities(call: SearchCall, rawPrefix: string) {
  authorizeSignedIn(call.actor);
  const prefix = normalizedPrefix(rawPrefix);
  const { db } = call.ctx;
  const access = await namespaceAccess(call);
  const organization = access?.namespace.kind === 'organization' ? access.namespace : undefined;
  const isMember = access?.organizationRole != null;

  const teams =
    organization && isMember && call.query.includeTeams ? await teamsByPrefix(db, organization.id, prefix, MAX_RESULTS) : [];
  const robots = access?.robots ? await robotsByPrefix(db, access.namespace, prefix, MAX_RESULTS) : [];
  const accounts = [...(await usersByPrefix(db, prefix, MAX_USERS)), ...robots];
  const members = organization
    ? await organizationMemberIds(
        db,
        organization.id,
        accounts.map((a) => a.id),
      )
    : undefined;

  const results: Record<string, unknown>[] = [
    ...teams.map((team) => ({ ...teamEntityView(team.name), is_org_member: true })),
    ...accounts.map((account) => userEntityView(account, members)),
  ];
  if (organization && call.query.includeOrgs && access?.organizationRole === 'admin' && organization.name.startsWith(prefix)) {
    results.push({
      name: organization.name,
      kind: 'org',
      is_org_member: true,
      avatar: accountAvatar(organization),
    });
  }
  return { results: results.slice(0, MAX_RESULTS) };
}

export function registerEntitiesRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/entities/{prefix}',
    summary: 'Find users, robots, teams and organizations whose names start with a prefix.',
    tag: 'search',
    query: SearchQuery,
    handler: (call) => searchEntities(call, call.params['prefix'] ?? ''),
  });
}
