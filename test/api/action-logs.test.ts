import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace } from '../../src/model/namespaces.js';
import { ensureRepository } from '../../src/model/repositories.js';
import { type ApiClient, type ApiResponse, anonymousClient, sessionClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { createOrganizationBy, createUsers, namespaceId } from '../helpers/fixtures.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { ldapConfig, slapdAvailable, startSlapd, type TestSlapd } from '../helpers/slapd.js';

/**
 * Every identity write of the API leaves Quay's usage-log entry: kind, namespace, performer,
 * address and metadata keys. One row per action, run in order against one registry.
 */

const PASSWORD = 'action-Pa55word!';
const CALLBACK = 'https://app.example/callback';

interface ActionCase {
  /** What the row does, for the test name. */
  name: string;
  kind: string;
  act(): Promise<ApiResponse>;
  status?: number;
  /** The namespace the entry belongs to. */
  namespace: string;
  /** The user or robot expected as performer; null for none. */
  performer: string | null;
  metadata?: Record<string, unknown>;
  /** Whether the entry names the repository widgets/app. */
  repository?: boolean;
}

describe.each(testDialects())('usage-log entries of identity writes (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let bob: ApiClient;
  let root: ApiClient;
  let newbie: ApiClient;
  let repositoryId: number;
  const state: { prototypeId?: string; clientId?: string; appTokenUuid?: string; authorizationUuid?: string } = {};

  async function inviteCode(email: string | null, userName: string | null): Promise<string> {
    let query = registry.ctx.db.selectFrom('team_invite').select('token');
    if (userName) query = query.where('user_id', '=', (await findNamespace(registry.ctx.db, userName))!.id);
    if (email) query = query.where('email', '=', email);
    return (await query.executeTakeFirstOrThrow()).token;
  }

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: { SUPER_USERS: ['root'], FEATURE_MAILING: true, TAG_EXPIRATION_OPTIONS: ['0s', '1d', '2w'] },
    });
    await createUsers(registry, ['alice', 'bob', 'carol', 'root'], PASSWORD);
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    root = await sessionClient(registry, 'root');
  });
  afterAll(async () => {
    await registry?.close();
  });

  const cases: ActionCase[] = [
    {
      name: 'create an organization',
      kind: 'org_create',
      act: () => alice.post('/api/v1/organization/', { name: 'widgets', email: 'widgets@example.com' }),
      status: 201,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { email: 'widgets@example.com', namespace: 'widgets' },
    },
    {
      name: "change an organization's e-mail",
      kind: 'org_change_email',
      act: () => alice.put('/api/v1/organization/widgets', { email: 'team@example.com' }),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { email: 'team@example.com', old_email: 'widgets@example.com', namespace: 'widgets' },
    },
    {
      name: "change an organization's time-machine window",
      kind: 'org_change_tag_expiration',
      act: () => alice.put('/api/v1/organization/widgets', { tag_expiration_s: 86_400 }),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { tag_expiration: 86_400, namespace: 'widgets' },
    },
    {
      name: 'create a team',
      kind: 'org_create_team',
      act: () => alice.put('/api/v1/organization/widgets/team/devs', { role: 'member' }),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { team: 'devs' },
    },
    {
      name: "change a team's description",
      kind: 'org_set_team_description',
      act: () => alice.put('/api/v1/organization/widgets/team/devs', { role: 'member', description: 'Developers' }),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { team: 'devs', description: 'Developers' },
    },
    {
      name: "change a team's role",
      kind: 'org_set_team_role',
      act: () => alice.put('/api/v1/organization/widgets/team/devs', { role: 'creator', description: 'Developers' }),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { team: 'devs', role: 'creator' },
    },
    {
      name: 'invite a user new to the organization',
      kind: 'org_invite_team_member',
      act: () => alice.put('/api/v1/organization/widgets/team/devs/members/bob'),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { user: 'bob', member: 'bob', team: 'devs' },
    },
    {
      name: 'decline an invitation',
      kind: 'org_team_member_invite_declined',
      act: async () => bob.delete(`/api/v1/teaminvite/${await inviteCode(null, 'bob')}`),
      status: 204,
      namespace: 'widgets',
      performer: 'bob',
      metadata: { member: 'bob', team: 'devs', inviter: 'alice' },
    },
    {
      name: 'accept an invitation',
      kind: 'org_team_member_invite_accepted',
      act: async () => {
        await alice.put('/api/v1/organization/widgets/team/devs/members/bob');
        return bob.put(`/api/v1/teaminvite/${await inviteCode(null, 'bob')}`);
      },
      namespace: 'widgets',
      performer: 'bob',
      metadata: { member: 'bob', team: 'devs', inviter: 'alice' },
    },
    {
      name: 'add an organization member to another team',
      kind: 'org_add_team_member',
      act: async () => {
        await alice.put('/api/v1/organization/widgets/team/ops', { role: 'member' });
        return alice.put('/api/v1/organization/widgets/team/ops/members/bob');
      },
      namespace: 'widgets',
      performer: 'alice',
      metadata: { member: 'bob', team: 'ops' },
    },
    {
      name: 'remove a team member',
      kind: 'org_remove_team_member',
      act: () => alice.delete('/api/v1/organization/widgets/team/ops/members/bob'),
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { member: 'bob', team: 'ops' },
    },
    {
      name: "withdraw a user's invitation",
      kind: 'org_delete_team_member_invite',
      act: async () => {
        await alice.put('/api/v1/organization/widgets/team/devs/members/carol');
        return alice.delete('/api/v1/organization/widgets/team/devs/members/carol');
      },
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { user: 'carol', member: 'carol', team: 'devs' },
    },
    {
      name: 'invite an e-mail address',
      kind: 'org_invite_team_member',
      act: () => alice.put('/api/v1/organization/widgets/team/devs/invite/friend@example.com'),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { email: 'friend@example.com', member: 'friend@example.com', team: 'devs' },
    },
    {
      name: "withdraw an e-mail address's invitation",
      kind: 'org_delete_team_member_invite',
      act: () => alice.delete('/api/v1/organization/widgets/team/devs/invite/friend@example.com'),
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { email: 'friend@example.com', member: 'friend@example.com', team: 'devs' },
    },
    {
      name: 'delete a team',
      kind: 'org_delete_team',
      act: () => alice.delete('/api/v1/organization/widgets/team/ops'),
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { team: 'ops' },
    },
    {
      name: 'create a robot',
      kind: 'create_robot',
      act: () => alice.put('/api/v1/organization/widgets/robots/builder', { description: 'CI', unstructured_metadata: { a: 1 } }),
      status: 201,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { robot: 'builder', description: 'CI', unstructured_metadata: { a: 1 } },
    },
    {
      name: "regenerate a robot's token",
      kind: 'regenerate_robot_token',
      act: () => alice.post('/api/v1/organization/widgets/robots/builder/regenerate'),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { robot: 'builder' },
    },
    {
      name: 'delete a robot',
      kind: 'delete_robot',
      act: () => alice.delete('/api/v1/organization/widgets/robots/builder'),
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { robot: 'builder' },
    },
    {
      name: 'give a user a repository role',
      kind: 'change_repo_permission',
      act: () => alice.put('/api/v1/repository/widgets/app/permissions/user/bob', { role: 'read' }),
      namespace: 'widgets',
      performer: 'alice',
      repository: true,
      metadata: { username: 'bob', repo: 'app', namespace: 'widgets', role: 'read' },
    },
    {
      name: "remove a user's repository role",
      kind: 'delete_repo_permission',
      act: () => alice.delete('/api/v1/repository/widgets/app/permissions/user/bob'),
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      repository: true,
      metadata: { username: 'bob', repo: 'app', namespace: 'widgets' },
    },
    {
      name: 'give a team a repository role',
      kind: 'change_repo_permission',
      act: () => alice.put('/api/v1/repository/widgets/app/permissions/team/devs', { role: 'write' }),
      namespace: 'widgets',
      performer: 'alice',
      repository: true,
      metadata: { team: 'devs', repo: 'app', role: 'write' },
    },
    {
      name: "remove a team's repository role",
      kind: 'delete_repo_permission',
      act: () => alice.delete('/api/v1/repository/widgets/app/permissions/team/devs'),
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      repository: true,
      metadata: { team: 'devs', repo: 'app' },
    },
    {
      name: 'create a default permission',
      kind: 'create_prototype_permission',
      act: async () => {
        const res = await alice.post('/api/v1/organization/widgets/prototypes', {
          role: 'read',
          delegate: { name: 'devs', kind: 'team' },
        });
        state.prototypeId = res.body?.id;
        return res;
      },
      namespace: 'widgets',
      performer: 'alice',
      metadata: { role: 'read', delegate_team: 'devs', username: 'alice', activating_username: null },
    },
    {
      name: 'change a default permission',
      kind: 'modify_prototype_permission',
      act: () => alice.put(`/api/v1/organization/widgets/prototypes/${state.prototypeId}`, { role: 'write' }),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { role: 'write', original_role: 'read', delegate_team: 'devs' },
    },
    {
      name: 'delete a default permission',
      kind: 'delete_prototype_permission',
      act: () => alice.delete(`/api/v1/organization/widgets/prototypes/${state.prototypeId}`),
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { role: 'write', delegate_team: 'devs' },
    },
    {
      name: 'register an application',
      kind: 'create_application',
      act: async () => {
        const res = await alice.post('/api/v1/organization/widgets/applications', { name: 'Deployer', redirect_uri: CALLBACK });
        state.clientId = res.body?.client_id;
        return res;
      },
      namespace: 'widgets',
      performer: 'alice',
      metadata: { name: 'Deployer', redirect_uri: CALLBACK },
    },
    {
      name: 'change an application',
      kind: 'update_application',
      act: () =>
        alice.put(`/api/v1/organization/widgets/applications/${state.clientId}`, {
          name: 'Deployer 2',
          redirect_uri: CALLBACK,
          application_uri: 'https://app.example',
        }),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { name: 'Deployer 2', application_uri: 'https://app.example' },
    },
    {
      name: "reset an application's secret",
      kind: 'reset_application_client_secret',
      act: () => alice.post(`/api/v1/organization/widgets/applications/${state.clientId}/resetclientsecret`),
      namespace: 'widgets',
      performer: 'alice',
      metadata: { application_name: 'Deployer 2' },
    },
    {
      name: 'grant an OAuth token to an application',
      kind: 'oauth_token_assigned',
      act: () =>
        bob.request('POST', '/oauth/authorizeapp', {
          client_id: state.clientId,
          redirect_uri: CALLBACK,
          scope: 'repo:read',
          response_type: 'token',
        }),
      status: 302,
      namespace: 'widgets',
      performer: 'bob',
      metadata: { assigning_user: 'bob', assigned_user: 'bob', application: 'Deployer 2', scope: 'repo:read' },
    },
    {
      name: 'revoke an OAuth token',
      kind: 'oauth_token_revoked',
      act: async () => {
        const listed = await bob.get('/api/v1/user/authorizations');
        return bob.delete(`/api/v1/user/authorizations/${listed.body.authorizations[0].uuid}`);
      },
      status: 204,
      namespace: 'bob',
      performer: 'bob',
      metadata: { application: 'Deployer 2' },
    },
    {
      name: 'delete an application',
      kind: 'delete_application',
      act: () => alice.delete(`/api/v1/organization/widgets/applications/${state.clientId}`),
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { application_name: 'Deployer 2' },
    },
    {
      name: 'create an app-specific token',
      kind: 'create_app_specific_token',
      act: async () => {
        const res = await alice.post('/api/v1/user/apptoken', { title: 'laptop' });
        state.appTokenUuid = res.body?.token?.uuid;
        return res;
      },
      namespace: 'alice',
      performer: 'alice',
      metadata: { app_specific_token_title: 'laptop' },
    },
    {
      name: 'revoke an app-specific token',
      kind: 'revoke_app_specific_token',
      act: () => alice.delete(`/api/v1/user/apptoken/${state.appTokenUuid}`),
      status: 204,
      namespace: 'alice',
      performer: 'alice',
      metadata: { app_specific_token_title: 'laptop' },
    },
    {
      name: 'create an account',
      kind: 'user_create',
      act: () => anonymousClient(registry).post('/api/v1/user/', { username: 'newbie', password: PASSWORD, email: 'newbie@example.com' }),
      namespace: 'newbie',
      performer: 'newbie',
      metadata: { username: 'newbie', email: 'newbie@example.com' },
    },
    {
      name: 'change the own e-mail address',
      kind: 'user_change_email',
      act: async () => {
        newbie = await sessionClient(registry, 'newbie');
        return newbie.put('/api/v1/user/', { email: 'newbie2@example.com' });
      },
      namespace: 'newbie',
      performer: 'newbie',
      metadata: { email: 'newbie2@example.com', old_email: 'newbie@example.com' },
    },
    {
      name: 'change the own time-machine window',
      kind: 'user_change_tag_expiration',
      act: () => newbie.put('/api/v1/user/', { tag_expiration_s: 86_400 }),
      namespace: 'newbie',
      performer: 'newbie',
      metadata: { tag_expiration: 86_400 },
    },
    {
      name: 'change the own password',
      kind: 'account_change_password',
      act: () => newbie.put('/api/v1/user/', { password: 'Another-Pa55word!' }),
      namespace: 'newbie',
      performer: 'newbie',
      metadata: {},
    },
    {
      name: 'delete the own account',
      kind: 'user_delete',
      act: () => newbie.delete('/api/v1/user/'),
      status: 204,
      namespace: 'newbie',
      performer: 'newbie',
      metadata: { username: 'newbie' },
    },
    {
      name: 'sign in',
      kind: 'login_success',
      act: () => anonymousClient(registry).post('/api/v1/signin', { username: 'bob', password: PASSWORD }),
      namespace: 'bob',
      performer: 'bob',
      metadata: { type: 'quayauth' },
    },
    {
      name: 'sign out',
      kind: 'logout_success',
      act: () => bob.post('/api/v1/signout'),
      namespace: 'bob',
      performer: 'bob',
    },
    {
      name: 'create a user as superuser',
      kind: 'user_create',
      act: () => root.post('/api/v1/superuser/users/', { username: 'made', email: 'made@example.com' }),
      namespace: 'made',
      performer: 'root',
      metadata: { username: 'made', email: 'made@example.com', superuser: 'root' },
    },
    {
      name: "change a user's e-mail as superuser",
      kind: 'user_change_email',
      act: () => root.put('/api/v1/superuser/users/made', { email: 'made2@example.com' }),
      namespace: 'made',
      performer: 'root',
      metadata: { email: 'made2@example.com', old_email: 'made@example.com', superuser: 'root' },
    },
    {
      name: 'disable a user as superuser',
      kind: 'user_disable',
      act: () => root.put('/api/v1/superuser/users/made', { enabled: false }),
      namespace: 'made',
      performer: 'root',
      metadata: { username: 'made', superuser: 'root' },
    },
    {
      name: 'enable a user as superuser',
      kind: 'user_enable',
      act: () => root.put('/api/v1/superuser/users/made', { enabled: true }),
      namespace: 'made',
      performer: 'root',
      metadata: { username: 'made', superuser: 'root' },
    },
    {
      name: "set a user's password as superuser",
      kind: 'user_change_password',
      act: () => root.put('/api/v1/superuser/users/made', { password: 'Made-Pa55word!' }),
      namespace: 'made',
      performer: 'root',
      metadata: { username: 'made', superuser: 'root' },
    },
    {
      name: 'delete a user as superuser',
      kind: 'user_delete',
      act: () => root.delete('/api/v1/superuser/users/made'),
      status: 204,
      namespace: 'made',
      performer: 'root',
      metadata: { username: 'made' },
    },
    {
      name: 'remove a member from the whole organization',
      kind: 'org_remove_team_member',
      act: () => alice.delete('/api/v1/organization/widgets/members/bob'),
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { member: 'bob', team: 'devs' },
    },
    {
      name: 'delete an organization',
      kind: 'org_delete',
      act: () => alice.delete('/api/v1/organization/widgets'),
      status: 204,
      namespace: 'widgets',
      performer: 'alice',
      metadata: { namespace: 'widgets' },
    },
  ];

  it.each(cases)('$name logs $kind', async (action) => {
    if (action.namespace === 'widgets' && !repositoryId) {
      const widgets = await findNamespace(registry.ctx.db, 'widgets');
      if (widgets) repositoryId = (await ensureRepository(registry.ctx.db, widgets.id, { namespace: 'widgets', name: 'app' }, 'private')).id;
    }
    // Ids are read before the action where the account exists: deletions rename accounts.
    const namespaceBefore = await findNamespace(registry.ctx.db, action.namespace);
    const performerBefore = action.performer ? await findNamespace(registry.ctx.db, action.performer) : undefined;
    const { db } = registry.ctx;
    const lastId = Number((await db.selectFrom('log_entry').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst())?.max ?? 0);

    const res = await action.act();
    expect(res.status, res.describe()).toBe(action.status ?? 200);

    await registry.ctx.usageLogs.flush();
    const entries = await db.selectFrom('log_entry').selectAll().where('id', '>', lastId).where('kind', '=', action.kind).execute();
    expect(entries, `${action.kind} entries after ${action.name}`).toHaveLength(1);
    const entry = entries[0]!;
    const namespace = namespaceBefore ?? (await findNamespace(db, action.namespace));
    const performer = action.performer ? (performerBefore ?? (await findNamespace(db, action.performer))) : undefined;
    expect(Number(entry.account_id)).toBe(namespace?.id);
    expect(entry.performer_id === null ? null : Number(entry.performer_id)).toBe(performer?.id ?? null);
    expect(entry.ip).toBe('127.0.0.1');
    expect(entry.repository_id === null ? null : Number(entry.repository_id)).toBe(action.repository ? repositoryId : null);
    expect(JSON.parse(entry.metadata)).toMatchObject(action.metadata ?? {});
  });
});

describe.skipIf(!slapdAvailable()).each(testDialects())('usage-log entries of team syncing (%s)', (dialect) => {
  let slapd: TestSlapd;
  let registry: TestRegistry;

  beforeAll(async () => {
    slapd = await startSlapd();
    registry = await startTestRegistry({
      dialect,
      overrides: ldapConfig(slapd, { FEATURE_TEAM_SYNCING: true, SUPER_USERS: ['root'] }),
    });
    await registry.createUser('root', 'root-password');
    await createOrganizationBy(registry, 'acme', 'root');
  });
  afterAll(async () => {
    await registry?.close();
    await slapd?.stop();
  });

  it('logs enable_team_sync and disable_team_sync with the team name', async () => {
    const root = await sessionClient(registry, 'root');
    expect((await root.put('/api/v1/organization/acme/team/devs', { role: 'member' })).status).toBe(200);
    const enabled = await root.post('/api/v1/organization/acme/team/devs/syncing', { group_dn: 'cn=devs,ou=groups' });
    expect(enabled.status, enabled.describe()).toBe(200);
    expect((await root.delete('/api/v1/organization/acme/team/devs/syncing')).status).toBe(200);
    const rows = await registry.ctx.db
      .selectFrom('log_entry')
      .select(['kind', 'account_id', 'performer_id', 'metadata'])
      .where('kind', 'in', ['enable_team_sync', 'disable_team_sync'])
      .orderBy('id')
      .execute();
    const acmeId = await namespaceId(registry, 'acme');
    const rootId = await namespaceId(registry, 'root');
    expect(rows.map((row) => ({ ...row, account_id: Number(row.account_id), performer_id: Number(row.performer_id) }))).toEqual([
      { kind: 'enable_team_sync', account_id: acmeId, performer_id: rootId, metadata: JSON.stringify({ team: 'devs' }) },
      { kind: 'disable_team_sync', account_id: acmeId, performer_id: rootId, metadata: JSON.stringify({ team: 'devs' }) },
    ]);
  });
});
