import { Type as T } from '@sinclair/typebox';
import {
  authorizeOrganization,
  authorizeOrganizationAudit,
  authorizeOwnAccount,
  type OrganizationViewScope,
  organizationViewScope,
} from '../auth/authorize.js';
import type { AppContext } from '../context.js';
import { Invalid, NotFound } from '../errors.js';
import { accountAvatar, type AvatarView, teamAvatar } from '../model/avatars.js';
import { type AccountSummary, findNamespace, type Namespace } from '../model/namespaces.js';
import {
  createOrganization,
  getOrganization,
  listDirectPermissions,
  listTeamMemberships,
  markOrganizationForDeletion,
  removeOrganizationMember,
  updateOrganization,
} from '../model/organizations.js';
import { listNamespaceQuotas } from '../model/quota.js';
import { namespaceQuotaReport, quotaApiEnabled } from '../model/quota-report.js';
import { parseRobotName } from '../model/robots.js';
import { changeAdministrators, listTeamSummaries, type TeamSummary } from '../model/teams.js';
import { requestedTagExpiration, validateEmail } from '../model/users.js';
import { embeddedQuotaView } from './quota-views.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';
import { namedTeamView } from './views.js';

/**
 * Organizations (Quay's endpoints/api/organization.py): create, view, change and delete an
 * organization, and list its members and outside collaborators.
 */

const NewOrganizationBody = T.Object({
  name: T.String({ maxLength: 255, description: 'The organization name.' }),
  email: T.Optional(T.String({ maxLength: 255, description: 'Contact e-mail address.' })),
  recaptcha_response: T.Optional(T.String()),
});

const UpdateOrganizationBody = T.Object({
  email: T.Optional(T.String({ maxLength: 255, description: 'Contact e-mail address.' })),
  invoice_email: T.Optional(T.Boolean({ description: 'Accepted for compatibility; Quayside sends no invoices.' })),
  invoice_email_address: T.Optional(T.Union([T.String({ maxLength: 255 }), T.Null()])),
  tag_expiration_s: T.Optional(
    T.Integer({ minimum: 0, description: 'Time-machine window in seconds: one of TAG_EXPIRATION_OPTIONS.' }),
  ),
});

function orgName(call: ApiCall): string {
  return call.params['orgname'] ?? '';
}

/** A team as the organization page lists it. */
function teamSummaryView(team: TeamSummary, scope: OrganizationViewScope): Record<string, unknown> {
  return {
    name: team.name,
    description: team.description,
    role: team.role,
    avatar: teamAvatar(team.name),
    can_view: scope.viewableTeamIds === 'all' || scope.viewableTeamIds.has(team.id),
    repo_count: team.repoCount,
    member_count: team.memberCount,
    is_synced: team.synced,
  };
}

function teamSyncingActive(ctx: AppContext): boolean {
  return ctx.config.FEATURE_TEAM_SYNCING && ctx.config.AUTHENTICATION_TYPE === 'LDAP';
}

/** Quay's org view: public basics for anyone; teams for members; settings for administrators. */
async function organizationView(
  ctx: AppContext,
  organization: Namespace,
  scope: OrganizationViewScope,
): Promise<Record<string, unknown>> {
  const view: Record<string, unknown> = {
    name: organization.name,
    email: scope.seesEmail ? (organization.email ?? '') : '',
    avatar: accountAvatar(organization),
    is_admin: scope.isAdmin,
    is_member: scope.role !== null,
  };
  if (scope.seesTeams) {
    const syncing = teamSyncingActive(ctx);
    const teams = (await listTeamSummaries(ctx.db, organization.id)).map((t) => ({ ...t, synced: syncing && t.synced }));
    view['teams'] = Object.fromEntries(teams.map((team) => [team.name, teamSummaryView(team, scope)]));
    view['ordered_teams'] = teams.map((team) => team.name);
  }
  if (scope.isAdmin) {
    view['invoice_email'] = false;
    view['invoice_email_address'] = null;
    view['tag_expiration_s'] = organization.removed_tag_expiration_s;
    view['is_free_account'] = true;
  }
  if (scope.role !== null && quotaApiEnabled(ctx.config)) {
    view['quotas'] = (await listNamespaceQuotas(ctx.db, organization.id)).map(embeddedQuotaView);
    view['quota_report'] = await namespaceQuotaReport(ctx.db, ctx.config, organization.id);
  }
  return view;
}

// ---- members ----------------------------------------------------------------------------------

interface MemberEntry {
  account: AccountSummary;
  teams: { name: string; avatar: AvatarView }[];
  repositories: string[];
}

function memberView(entry: MemberEntry): Record<string, unknown> {
  return {
    name: entry.account.name,
    kind: entry.account.kind === 'robot' ? 'robot' : 'user',
    avatar: accountAvatar(entry.account),
    teams: entry.teams,
    repositories: entry.repositories,
  };
}

/** The users in the organization's teams (robots are not listed, as in Quay), with their teams and direct permissions. */
async function listMembers(ctx: AppContext, organization: Namespace): Promise<MemberEntry[]> {
  const members = new Map<string, MemberEntry>();
  for (const membership of await listTeamMemberships(ctx.db, organization.id)) {
    if (membership.member.kind !== 'user') continue;
    let entry = members.get(membership.member.name);
    if (!entry) {
      entry = { account: membership.member, teams: [], repositories: [] };
      members.set(membership.member.name, entry);
    }
    entry.teams.push(namedTeamView(membership.teamName));
  }
  for (const permission of await listDirectPermissions(ctx.db, organization.id)) {
    members.get(permission.member.name)?.repositories.push(permission.repositoryName);
  }
  return [...members.values()];
}

/** A user or robot account that is a member of the organization (robots: also those it owns). */
async function getMember(ctx: AppContext, organization: Namespace, name: string): Promise<MemberEntry> {
  const account = await findNamespace(ctx.db, name);
  const missing = new NotFound('member', `${name} is not a member of organization ${organization.name}`);
  if (!account || account.kind === 'organization') throw missing;
  const teams = (await listTeamMemberships(ctx.db, organization.id)).filter((m) => m.member.id === account.id);
  const ownRobot = account.kind === 'robot' && parseRobotName(account.name)?.owner === organization.name;
  if (teams.length === 0 && !ownRobot) throw missing;
  const permissions = await listDirectPermissions(ctx.db, organization.id, account.id);
  return {
    account,
    teams: teams.map((m) => namedTeamView(m.teamName)),
    repositories: permissions.map((p) => p.repositoryName),
  };
}

async function listCollaborators(ctx: AppContext, organization: Namespace): Promise<Record<string, unknown>[]> {
  const memberIds = new Set((await listTeamMemberships(ctx.db, organization.id)).map((m) => m.member.id));
  const collaborators = new Map<string, { account: AccountSummary; repositories: string[] }>();
  for (const permission of await listDirectPermissions(ctx.db, organization.id)) {
    if (memberIds.has(permission.member.id)) continue;
    let entry = collaborators.get(permission.member.name);
    if (!entry) {
      entry = { account: permission.member, repositories: [] };
      collaborators.set(permission.member.name, entry);
    }
    entry.repositories.push(permission.repositoryName);
  }
  return [...collaborators.values()].map((entry) => ({
    kind: 'user',
    name: entry.account.name,
    avatar: accountAvatar(entry.account),
    repositories: entry.repositories,
  }));
}

/** Quay's log entries for a changed contact e-mail and time-machine window. */
async function logOrganizationChanges(call: ApiCall, before: Namespace, after: Namespace): Promise<void> {
  if (after.email !== before.email) {
    await logApiAction(call, {
      kind: 'org_change_email',
      namespaceId: after.id,
      metadata: { email: after.email, namespace: after.name, old_email: before.email },
    });
  }
  if (after.removed_tag_expiration_s !== before.removed_tag_expiration_s) {
    await logApiAction(call, {
      kind: 'org_change_tag_expiration',
      namespaceId: after.id,
      metadata: { tag_expiration: after.removed_tag_expiration_s, namespace: after.name },
    });
  }
}

// ---- routes -----------------------------------------------------------------------------------

function registerOrganizationRoutes(router: ApiRouter): void {
  router.add({
    method: 'POST',
    path: '/api/v1/organization/',
    summary: 'Create an organization; the caller joins its owners team.',
    tag: 'organization',
    body: NewOrganizationBody,
    status: 201,
    async handler(call) {
      const { ctx, actor, body } = call;
      const user = authorizeOwnAccount(actor, 'user:admin');
      if (ctx.config.FEATURE_MAILING && !body.email) throw new Invalid('input', 'an e-mail address is required');
      if (body.email !== undefined) validateEmail(body.email);
      const organization = await createOrganization(ctx.db, ctx.config, {
        name: body.name,
        email: body.email ?? null,
        creatorId: user.id,
      });
      await logApiAction(call, {
        kind: 'org_create',
        namespaceId: organization.id,
        metadata: { email: body.email ?? null, namespace: organization.name },
      });
      return 'Created';
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/organization/{orgname}',
    summary: 'Get an organization: teams for members, settings for administrators.',
    tag: 'organization',
    async handler({ ctx, actor, params }) {
      const organization = await getOrganization(ctx.db, params['orgname'] ?? '');
      return organizationView(ctx, organization, await organizationViewScope(ctx, actor, organization));
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/organization/{orgname}',
    summary: "Change an organization's contact e-mail or time-machine window.",
    tag: 'organization',
    body: UpdateOrganizationBody,
    async handler(call) {
      const { ctx, actor, body } = call;
      const organization = await authorizeOrganization(ctx, actor, orgName(call), 'admin');
      const updated = await updateOrganization(ctx.db, organization, {
        email: body.email,
        tagExpirationS: requestedTagExpiration(ctx.config, body.tag_expiration_s),
      });
      await logOrganizationChanges(call, organization, updated);
      return organizationView(ctx, updated, await organizationViewScope(ctx, actor, updated));
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/organization/{orgname}',
    summary: 'Delete an organization; its repositories are removed in the background.',
    tag: 'organization',
    status: 204,
    async handler(call) {
      const organization = await authorizeOrganization(call.ctx, call.actor, orgName(call), 'admin');
      // Logged first, as in Quay: the organization's name is gone once it is marked deleted.
      await logApiAction(call, { kind: 'org_delete', namespaceId: organization.id, metadata: { namespace: organization.name } });
      await markOrganizationForDeletion(call.ctx.db, organization);
      return undefined;
    },
  });
}

function registerMemberRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/organization/{orgname}/members',
    summary: 'List the users in the teams of an organization.',
    tag: 'organization',
    async handler(call) {
      const organization = await authorizeOrganizationAudit(call.ctx, call.actor, orgName(call));
      return { members: (await listMembers(call.ctx, organization)).map(memberView) };
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/organization/{orgname}/members/{membername}',
    summary: 'Get one member of an organization, with its teams and direct repository permissions.',
    tag: 'organization',
    async handler(call) {
      const organization = await authorizeOrganizationAudit(call.ctx, call.actor, orgName(call));
      return memberView(await getMember(call.ctx, organization, call.params['membername'] ?? ''));
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/organization/{orgname}/members/{membername}',
    summary: "Remove a user from all of an organization's teams and its repositories' permissions.",
    tag: 'organization',
    status: 204,
    async handler(call) {
      const { ctx, actor, params } = call;
      const organization = await authorizeOrganization(ctx, actor, orgName(call), 'admin');
      const name = params['membername'] ?? '';
      const user = await findNamespace(ctx.db, name);
      if (user?.kind !== 'user') throw new NotFound('user', `user ${name} not found`);
      const actingUserId = actor.principal.kind === 'user' ? actor.principal.id : undefined;
      const teams = (await listTeamMemberships(ctx.db, organization.id)).filter((m) => m.member.id === user.id);
      await changeAdministrators(ctx.db, organization, { kind: 'leave-organization', memberId: user.id }, actingUserId, (trx) =>
        removeOrganizationMember(trx, organization, user.id),
      );
      // Quay logs nothing here; each team the user leaves is logged as its own removal.
      for (const membership of teams) {
        await logApiAction(call, {
          kind: 'org_remove_team_member',
          namespaceId: organization.id,
          metadata: { member: user.name, team: membership.teamName },
        });
      }
      return undefined;
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/organization/{orgname}/collaborators',
    summary: "List users with permissions on an organization's repositories who are in none of its teams.",
    tag: 'organization',
    async handler(call) {
      const organization = await authorizeOrganizationAudit(call.ctx, call.actor, orgName(call));
      return { collaborators: await listCollaborators(call.ctx, organization) };
    },
  });
}

/** Registers /api/v1/organization/ and /api/v1/organization/{orgname}[/members|/collaborators]. */
export function registerOrganizationsRoutes(router: ApiRouter): void {
  registerOrganizationRoutes(router);
  registerMemberRoutes(router);
}
