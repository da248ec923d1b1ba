import { Type as T } from '@sinclair/typebox';
import { authorizeOrganization, authorizeOrganizationAudit, authorizeOwnAccount, authorizeTeamView } from '../auth/authorize.js';
import type { AppContext } from '../context.js';
import { Invalid, NotFound } from '../errors.js';
import { avatarView } from '../model/avatars.js';
import { type AccountSummary, findNamespace, findNamespaceById, type Namespace } from '../model/namespaces.js';
import { parseRobotName } from '../model/robots.js';
import { isTeamSynced } from '../model/team-sync.js';
import {
  acceptTeamInvite,
  addOrInviteTeamMember,
  createTeam,
  declineTeamInvite,
  deleteEmailInvite,
  deleteTeam,
  deleteUserInvite,
  changeAdministrators,
  findTeam,
  getTeam,
  inviteEmailToTeam,
  listTeamInvites,
  listTeamMembers,
  listTeamPermissions,
  removeTeamMember,
  type Team,
  type TeamInvite,
  updateTeam,
} from '../model/teams.js';
import type { ApiCall, ApiRouter } from './router.js';
import { mailTeamInvite } from './team-invite-mail.js';
import { logApiAction } from './usage-log.js';
import { teamView, userEntityView } from './views.js';

/**
 * Teams of an organization (Quay's endpoints/api/team.py): create, change and delete teams, their
 * members and invitations, their repository permissions, and accepting or declining an invitation.
 * Team syncing (…/syncing) lives in team-syncing.ts.
 */

const TeamBody = T.Object({
  role: T.Union([T.Literal('member'), T.Literal('creator'), T.Literal('admin')], {
    description: 'What the team may do in the whole organization.',
  }),
  description: T.Optional(T.String({ maxLength: 4096, description: 'Markdown description of the team.' })),
});

const MembersQuery = T.Object({
  includePending: T.Boolean({ default: false, description: 'Include pending invitations (administrators only).' }),
});

function orgName(call: ApiCall): string {
  return call.params['orgname'] ?? '';
}

function teamName(call: ApiCall): string {
  return call.params['teamname'] ?? '';
}

function actingUserId(call: ApiCall): number | undefined {
  return call.actor.principal.kind === 'user' ? call.actor.principal.id : undefined;
}

/** The user who acts: team administration leaves a record of who invited whom, so it needs a signed-in user. */
function actingUser(call: ApiCall): number {
  const id = actingUserId(call);
  if (id === undefined) throw new Invalid('input', 'this operation must be performed by a signed-in user');
  return id;
}

/** An organization the caller administers, and one of its teams. */
async function administeredTeam(call: ApiCall): Promise<{ organization: Namespace; team: Team }> {
  const organization = await authorizeOrganization(call.ctx, call.actor, orgName(call), 'admin');
  return { organization, team: await getTeam(call.ctx.db, organization, teamName(call)) };
}

function memberView(member: AccountSummary, invited: boolean): Record<string, unknown> {
  return { ...userEntityView(member), invited };
}

function inviteView(invite: TeamInvite): Record<string, unknown> {
  if (invite.user) return memberView({ ...invite.user, kind: 'user' }, true);
  const email = invite.email ?? '';
  return { email, kind: 'invite', avatar: avatarView(email, email, 'user'), invited: true };
}

/**
 * Teams synchronized from LDAP take their users from the directory: adding or removing users by
 * hand is refused (robots still may be managed), as is inviting by e-mail.
 */
async function refuseOnSyncedTeam(ctx: AppContext, team: Team, memberName: string | undefined): Promise<void> {
  if (!ctx.config.FEATURE_TEAM_SYNCING || ctx.config.AUTHENTICATION_TYPE !== 'LDAP') return;
  if (memberName !== undefined && parseRobotName(memberName)) return;
  if (await isTeamSynced(ctx.db, team.id)) {
    throw new Invalid('input', `team ${team.name} is synchronized from the directory: change its members there`);
  }
}

interface MemberChange {
  organization: Namespace;
  team: Team;
  /** The {membername} path parameter. */
  name: string;
  /** The user or robot it names; undefined when there is none. */
  member: Namespace | undefined;
}

/** What a change to a team's members acts on, after refusing user changes on a synced team. */
async function memberChange(call: ApiCall): Promise<MemberChange> {
  const { organization, team } = await administeredTeam(call);
  const name = call.params['membername'] ?? '';
  await refuseOnSyncedTeam(call.ctx, team, name);
  const found = await findNamespace(call.ctx.db, name);
  return { organization, team, name, member: found?.kind === 'organization' ? undefined : found };
}

function requireMailing(ctx: AppContext): void {
  if (!ctx.config.FEATURE_MAILING) {
    throw new Invalid(
      'input',
      'inviting by e-mail needs FEATURE_MAILING; add existing users with PUT …/team/{teamname}/members/{membername}',
    );
  }
}

// ---- teams ------------------------------------------------------------------------------------

function registerTeamRoutes(router: ApiRouter): void {
  router.add({
    method: 'PUT',
    path: '/api/v1/organization/{orgname}/team/{teamname}',
    summary: "Create a team, or change an existing team's role or description.",
    tag: 'team',
    body: TeamBody,
    async handler(call) {
      const { ctx, body } = call;
      const organization = await authorizeOrganization(ctx, call.actor, orgName(call), 'admin');
      const existing = await findTeam(ctx.db, organization.id, teamName(call));
      if (!existing) {
        const created = await createTeam(ctx.db, organization, {
          name: teamName(call),
          role: body.role,
          description: body.description,
        });
        await logApiAction(call, { kind: 'org_create_team', namespaceId: organization.id, metadata: { team: created.name } });
        return teamView(created, { canView: true, isNew: true });
      }
      const changes = { role: body.role, description: body.description };
      const updated =
        existing.role === 'admin' && body.role !== 'admin'
          ? await changeAdministrators(ctx.db, organization, { kind: 'drop-team', teamId: existing.id }, actingUserId(call), (trx) =>
              updateTeam(trx, existing, changes),
            )
          : await updateTeam(ctx.db, existing, changes);
      if (updated.description !== existing.description) {
        await logApiAction(call, {
          kind: 'org_set_team_description',
          namespaceId: organization.id,
          metadata: { team: updated.name, description: updated.description },
        });
      }
      if (updated.role !== existing.role) {
        await logApiAction(call, {
          kind: 'org_set_team_role',
          namespaceId: organization.id,
          metadata: { team: updated.name, role: updated.role },
        });
      }
      return teamView(updated, { canView: true, isNew: false });
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/organization/{orgname}/team/{teamname}',
    summary: 'Delete a team with its memberships, invitations and permissions.',
    tag: 'team',
    status: 204,
    async handler(call) {
      const { organization, team } = await administeredTeam(call);
      if (team.role === 'admin') {
        await changeAdministrators(call.ctx.db, organization, { kind: 'drop-team', teamId: team.id }, actingUserId(call), (trx) =>
          deleteTeam(trx, team),
        );
      } else {
        await deleteTeam(call.ctx.db, team);
      }
      await logApiAction(call, { kind: 'org_delete_team', namespaceId: organization.id, metadata: { team: team.name } });
      return undefined;
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/organization/{orgname}/team/{teamname}/permissions',
    summary: "List a team's repository permissions.",
    tag: 'team',
    async handler(call) {
      const organization = await authorizeOrganizationAudit(call.ctx, call.actor, orgName(call));
      const team = await getTeam(call.ctx.db, organization, teamName(call));
      const permissions = await listTeamPermissions(call.ctx.db, team.id);
      return {
        permissions: permissions.map((p) => ({
          repository: { name: p.repositoryName, is_public: p.visibility === 'public' },
          role: p.role,
        })),
      };
    },
  });
}

// ---- members ----------------------------------------------------------------------------------

function registerTeamMemberRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/organization/{orgname}/team/{teamname}/members',
    summary: "List a team's members, and with includePending its pending invitations.",
    tag: 'team',
    query: MembersQuery,
    async handler(call) {
      const { ctx, query } = call;
      const { team, canEdit } = await authorizeTeamView(ctx, call.actor, orgName(call), teamName(call));
      const members = (await listTeamMembers(ctx.db, team.id)).map((m) => memberView(m, false));
      const invites = query.includePending && canEdit ? (await listTeamInvites(ctx.db, team.id)).map(inviteView) : [];
      return { name: team.name, members: [...members, ...invites], can_edit: canEdit };
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/organization/{orgname}/team/{teamname}/members/{membername}',
    summary: 'Add a user or robot to a team (with FEATURE_MAILING, users new to the organization are invited).',
    tag: 'team',
    async handler(call) {
      const { ctx } = call;
      const { organization, team, name, member } = await memberChange(call);
      if (!member) throw new Invalid('input', `unknown user ${name}`);
      const result = await addOrInviteTeamMember(ctx.db, {
        organization,
        team,
        member,
        inviterId: actingUser(call),
        inviteNewcomers: ctx.config.FEATURE_MAILING,
      });
      await logApiAction(call, {
        kind: result.invited ? 'org_invite_team_member' : 'org_add_team_member',
        namespaceId: organization.id,
        metadata: result.invited ? { user: member.name, member: member.name, team: team.name } : { member: member.name, team: team.name },
      });
      if (result.invited) await mailTeamInvite(call, result.invite);
      return memberView(member, result.invited);
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/organization/{orgname}/team/{teamname}/members/{membername}',
    summary: "Remove a member from a team, or withdraw the user's pending invitation.",
    tag: 'team',
    status: 204,
    async handler(call) {
      const { ctx } = call;
      const { organization, team, name, member } = await memberChange(call);
      if (!member) throw new NotFound('member', `unknown user ${name}`);
      if (await deleteUserInvite(ctx.db, team.id, member.id)) {
        await logApiAction(call, {
          kind: 'org_delete_team_member_invite',
          namespaceId: organization.id,
          metadata: { user: member.name, team: team.name, member: member.name },
        });
        return undefined;
      }
      const change = { kind: 'leave-team', teamId: team.id, memberId: member.id } as const;
      await changeAdministrators(ctx.db, organization, change, actingUserId(call), (trx) => removeTeamMember(trx, team, member));
      await logApiAction(call, {
        kind: 'org_remove_team_member',
        namespaceId: organization.id,
        metadata: { member: member.name, team: team.name },
      });
      return undefined;
    },
  });
}

// ---- invitations ------------------------------------------------------------------------------

function registerInviteRoutes(router: ApiRouter): void {
  router.add({
    method: 'PUT',
    path: '/api/v1/organization/{orgname}/team/{teamname}/invite/{email}',
    summary: 'Invite an e-mail address to a team (needs FEATURE_MAILING).',
    tag: 'team',
    async handler(call) {
      const { ctx, params } = call;
      requireMailing(ctx);
      const { organization, team } = await administeredTeam(call);
      await refuseOnSyncedTeam(ctx, team, undefined);
      const invite = await inviteEmailToTeam(ctx.db, team, params['email'] ?? '', actingUser(call));
      await logApiAction(call, {
        kind: 'org_invite_team_member',
        namespaceId: organization.id,
        metadata: { email: invite.email, team: team.name, member: invite.email },
      });
      await mailTeamInvite(call, invite);
      return inviteView(invite);
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/organization/{orgname}/team/{teamname}/invite/{email}',
    summary: 'Withdraw the invitation of an e-mail address to a team.',
    tag: 'team',
    status: 204,
    async handler(call) {
      const { ctx, params } = call;
      requireMailing(ctx);
      const { organization, team } = await administeredTeam(call);
      const email = params['email'] ?? '';
      if (!(await deleteEmailInvite(ctx.db, team.id, email))) {
        throw new NotFound('invite', `no pending invitation of ${email} to team ${team.name}`);
      }
      await logApiAction(call, {
        kind: 'org_delete_team_member_invite',
        namespaceId: organization.id,
        metadata: { email, team: team.name, member: email },
      });
      return undefined;
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/teaminvite/{code}',
    summary: 'Accept an invitation to join a team.',
    tag: 'team',
    internal: true,
    async handler(call) {
      const user = await invitedUser(call);
      const invite = await acceptTeamInvite(call.ctx.db, call.params['code'] ?? '', user);
      await logInviteAnswer(call, 'org_team_member_invite_accepted', invite, user);
      return { org: invite.organizationName, team: invite.teamName };
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/teaminvite/{code}',
    summary: 'Decline an invitation to join a team.',
    tag: 'team',
    status: 204,
    internal: true,
    async handler(call) {
      const user = await invitedUser(call);
      const invite = await declineTeamInvite(call.ctx.db, call.params['code'] ?? '', user);
      await logInviteAnswer(call, 'org_team_member_invite_declined', invite, user);
      return undefined;
    },
  });
}

/** Quay's entry for an accepted or declined invitation, in the organization's logs. */
async function logInviteAnswer(
  call: ApiCall,
  kind: 'org_team_member_invite_accepted' | 'org_team_member_invite_declined',
  invite: TeamInvite,
  user: Namespace,
): Promise<void> {
  const inviter = await findNamespaceById(call.ctx.db, invite.inviterId);
  await logApiAction(call, {
    kind,
    namespaceId: invite.organizationId,
    metadata: { member: user.name, team: invite.teamName, inviter: inviter?.name ?? null },
  });
}

/** The signed-in user answering an invitation, with their e-mail address. */
async function invitedUser(call: ApiCall): Promise<Namespace> {
  const principal = authorizeOwnAccount(call.actor, 'user:admin');
  const user = await findNamespaceById(call.ctx.db, principal.id);
  if (!user) throw new NotFound('user', `user ${principal.name} not found`);
  return user;
}

/** Registers /api/v1/organization/{orgname}/team/{teamname}[…] and /api/v1/teaminvite/{code}. */
export function registerTeamsRoutes(router: ApiRouter): void {
  registerTeamRoutes(router);
  registerTeamMemberRoutes(router);
  registerInviteRoutes(router);
}
