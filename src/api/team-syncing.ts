import { type Static, Type as T } from '@sinclair/typebox';
import { LdapDirectory } from '../auth/ldap/index.js';
import { authorizeTeamSyncSetup } from '../auth/authorize.js';
import type { AppContext } from '../context.js';
import { Invalid, NotFound } from '../errors.js';
import { LDAP_SERVICE } from '../model/federated-logins.js';
import {
  disableTeamSync,
  enableTeamSync,
  findOrganizationTeam,
  type Team,
} from '../model/team-sync.js';
import type { ApiCall, ApiRouter } from './router.js';
import { avatarView } from './views.js';

const PATH = '/api/v1/organization/{orgname}/team/{teamname}/syncing';
const MAX_DN_LENGTH = 1024;

const SyncBody = T.Object({
  group_dn: T.Optional(T.String({ maxLength: MAX_DN_LENGTH, description: 'The LDAP group, relative to LDAP_BASE_DN.' })),
});
type SyncBodyValue = Static<typeof SyncBody>;

/** Quay's team view, as returned after a syncing change. */
function teamView(team: Team) {
  return {
    name: team.name,
    description: team.description,
    can_view: true,
    role: team.role,
    avatar: avatarView(team.name, null, 'team'),
    new_team: false,
  };
}

/** The LDAP directory, when team syncing is available at all (FEATURE_TEAM_SYNCING with LDAP). */
function syncingDirectory(ctx: AppContext): LdapDirectory {
  if (!ctx.config.FEATURE_TEAM_SYNCING) throw new NotFound('team', 'team synchronization is not enabled');
  if (!(ctx.directory instanceof LdapDirectory)) {
    throw new Invalid('input', 'team synchronization needs AUTHENTICATION_TYPE: LDAP');
  }
  return ctx.directory;
}

/** The team being configured, after checking the caller may set up syncing in its organization. */
async function syncableTeam(call: ApiCall): Promise<Team> {
  const organizationName = call.params['orgname'] ?? '';
  const teamName = call.params['teamname'] ?? '';
  const organization = await authorizeTeamSyncSetup(call.ctx, call.actor, organizationName);
  const team = await findOrganizationTeam(call.ctx.db, organization.id, teamName);
  if (!team) throw new NotFound('team', `team ${teamName} not found in organization ${organizationName}`);
  return team;
}

export function registerTeamSyncingRoutes(router: ApiRouter): void {
  router.add({
    method: 'POST',
    path: PATH,
    summary: "Synchronize a team's members with an LDAP group.",
    tag: 'organization',
    body: SyncBody,
    handler: async (call) => {
      const directory = syncingDirectory(call.ctx);
      const team = await syncableTeam(call);
      const body: SyncBodyValue = call.body;
      const groupDn = body.group_dn?.trim() ?? '';
      const problem = await directory.groupProblem(groupDn);
      if (problem) throw new Invalid('input', `Could not sync to group: ${problem}`);
      await enableTeamSync(call.ctx.db, team.id, LDAP_SERVICE, { group_dn: groupDn });
      return teamView(team);
    },
  });

  router.add({
    method: 'DELETE',
    path: PATH,
    summary: 'Stop synchronizing a team with its LDAP group; its members stay.',
    tag: 'organization',
    handler: async (call) => {
      syncingDirectory(call.ctx);
      const team = await syncableTeam(call);
      await disableTeamSync(call.ctx.db, team.id);
      return teamView(team);
    },
  });
}
