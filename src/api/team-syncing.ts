import { type Static, Type as T } from '@sinclair/typebox';
import { LdapDirectory } from '../auth/ldap/index.js';
import { authorizeTeamSyncSetup } from '../auth/authorize.js';
import type { AppContext } from '../context.js';
import { Invalid, NotFound } from '../errors.js';
import { LDAP_SERVICE } from '../model/federated-logins.js';
import { disableTeamSync, enableTeamSync } from '../model/team-sync.js';
import { getTeam, type Team } from '../model/teams.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';
import { teamView } from './views.js';

const PATH = '/api/v1/organization/{orgname}/team/{teamname}/syncing';
const MAX_DN_LENGTH = 1024;

const SyncBody = T.Object({
  group_dn: T.Optional(T.String({ maxLength: MAX_DN_LENGTH, description: 'The LDAP group, relative to LDAP_BASE_DN.' })),
});
type SyncBodyValue = Static<typeof SyncBody>;

/** Quay's team view, as returned after a syncing change. */
function syncedTeamView(team: Team) {
  return teamView(team, { canView: true, isNew: false });
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
  const organization = await authorizeTeamSyncSetup(call.ctx, call.actor, call.params['orgname'] ?? '');
  return getTeam(call.ctx.db, organization, call.params['teamname'] ?? '');
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
      await logApiAction(call, { kind: 'enable_team_sync', namespaceId: team.organization_id, metadata: { team: team.name } });
      return syncedTeamView(team);
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
      await logApiAction(call, { kind: 'disable_team_sync', namespaceId: team.organization_id, metadata: { team: team.name } });
      return syncedTeamView(team);
    },
  });
}
