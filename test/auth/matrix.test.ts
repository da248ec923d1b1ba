import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Insertable } from 'kysely';
import type { RepositoryPermissionTable, RepositoryRole } from '../../src/db/tables.js';
import { createAppToken } from '../../src/model/app-tokens.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { createRobot, revealRobotToken } from '../../src/model/robots.js';
import { ApiClient, oauthToken, sessionClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, namespaceId } from '../helpers/fixtures.js';
import { type Auth, basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/**
 * The authorization matrix of issue 3: every identity x repository visibility x action, through
 * real HTTP on /v2/ and /api/v1, each cell asserted against what the identity's declared rights
 * say it may do.
 *
 * World: user alice owns alice/pub (public) and alice/priv (private). Organization acme (admin:
 * oscar, in the owners team) has acme/pub and acme/priv; team "writers" (role member, with write
 * on both) holds tina; team "creators" (role creator, no grants) holds carl; robots acme+reader,
 * acme+writer and acme+boss hold read, write and admin on both.
 */

type Namespace = 'alice' | 'acme';
type Visibility = 'public' | 'private';

interface Identity {
  label: string;
  /** Credentials on /v2/ (null: anonymous). */
  registryAuth: Auth;
  /** The API client, built once the registry runs. */
  api?: ApiClient;
  apiKind: 'anonymous' | 'session' | 'oauth' | 'registry-only';
  /** The role held on each namespace's repositories (before public visibility). */
  roles: Partial<Record<Namespace, RepositoryRole>>;
  /** Namespaces it may create repositories in (before OAuth scope caps on pushing). */
  creates: Namespace[];
  /** An OAuth token's repository-role cap and whether it has repo:create; undefined when unscoped. */
  scopes?: string[];
  /** Credentials that no longer work (disabled account). */
  disabled?: boolean;
}

const ROLE_RANK: Record<RepositoryRole, number> = { read: 1, write: 2, admin: 3 };

function atLeast(held: RepositoryRole | undefined, needed: RepositoryRole): boolean {
  return held !== undefined && ROLE_RANK[held] >= ROLE_RANK[needed];
}

function scopeCap(identity: Identity): RepositoryRole | undefined {
  if (!identity.scopes) return 'admin';
  if (identity.scopes.includes('repo:admin')) return 'admin';
  if (identity.scopes.includes('repo:write')) return 'write';
  if (identity.scopes.includes('repo:read')) return 'read';
  return undefined;
}

function effectiveRole(identity: Identity, ns: Namespace): RepositoryRole | undefined {
  const role = identity.roles[ns];
  const cap = scopeCap(identity);
  if (role === undefined || cap === undefined) return undefined;
  return ROLE_RANK[role] <= ROLE_RANK[cap] ? role : cap;
}

function mayRead(identity: Identity, ns: Namespace, visibility: Visibility): boolean {
  if (identity.disabled) return false;
  return visibility === 'public' || atLeast(effectiveRole(identity, ns), 'read');
}

function mayCreate(identity: Identity, ns: Namespace): boolean {
  if (identity.disabled || !identity.creates.includes(ns)) return false;
  return identity.scopes === undefined || identity.scopes.includes('repo:create');
}

/** The status a refused request gets: 401 for anonymous or rejected credentials, 403 otherwise. */
function refusedStatus(identity: Identity, surface: 'v2' | 'api'): number {
  if (identity.disabled || identity.registryAuth === null) return 401;
  if (surface === 'api' && identity.apiKind === 'registry-only') return 401;
  return 403;
}

function expected(identity: Identity, surface: 'v2' | 'api', allowed: boolean, okStatus: number): number {
  if (surface === 'api' && identity.apiKind === 'registry-only') return 401;
  return allowed ? okStatus : refusedStatus(identity, surface);
}

const PASSWORD = 'matrix-password-1';

function suffix(): string {
  return randomBytes(3).toString('hex');
}

describe.each(testDialects())('authorization matrix (%s)', (dialect) => {
  let registry: TestRegistry;
  let anonymousRegistry: RegistryClient;
  const identities: Identity[] = [];
  /** The robots' grants on every acme repository. */
  const grants: { memberName: string; role: RepositoryRole }[] = [];
  let writersTeamId = 0;

  function registryClient(identity: Identity): RegistryClient {
    return identity.registryAuth === null ? anonymousRegistry : anonymousRegistry.as(identity.registryAuth);
  }

  /** Creates ns/name with one tag pushed by its owner, and acme's grants when in acme. */
  async function makeRepository(ns: Namespace, name: string, visibility: Visibility): Promise<string> {
    const owner = anonymousRegistry.as(basicAuth(ns === 'alice' ? 'alice' : 'oscar', PASSWORD));
    const path = `${ns}/${name}`;
    await owner.pushImage(path, 'v1', randomImage(1));
    const repo = await registry.ctx.db
      .updateTable('repository')
      .set({ visibility })
      .where('namespace_id', '=', await namespaceId(registry, ns))
      .where('name', '=', name)
      .returning('id')
      .executeTakeFirstOrThrow();
    if (ns === 'acme') {
      const rows: Insertable<RepositoryPermissionTable>[] = [
        { repository_id: repo.id, member_id: null, team_id: writersTeamId, role: 'write' },
      ];
      for (const grant of grants) {
        rows.push({ repository_id: repo.id, member_id: await namespaceId(registry, grant.memberName), team_id: null, role: grant.role });
      }
      await registry.ctx.db.insertInto('repository_permission').values(rows).execute();
    }
    return path;
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { SUPER_USERS: ['root'] } });
    anonymousRegistry = new RegistryClient(registry.url);
    for (const name of ['alice', 'oscar', 'tina', 'carl', 'eve', 'root', 'dan', 'zed']) await registry.createUser(name, PASSWORD);
    const { db, secrets } = registry.ctx;
    const acme = await createOrganizationBy(registry, 'acme', 'oscar');
    writersTeamId = await addTeam(registry, acme.id, 'writers', 'member', ['tina']);
    await addTeam(registry, acme.id, 'creators', 'creator', ['carl']);
    const robots: Record<string, string> = {};
    for (const [short, role] of [['reader', 'read'], ['writer', 'write'], ['boss', 'admin']] as const) {
      const robot = await createRobot(db, secrets, { owner: acme, shortname: short });
      robots[short] = revealRobotToken(secrets, robot);
      grants.push({ memberName: robot.name, role });
    }
    const alice = (await findNamespace(db, 'alice'))!;
    const app = await createAppToken(db, secrets, { userId: alice.id, title: 'matrix', expiresInS: null });

    const user = (name: string, roles: Identity['roles'], creates: Namespace[]): Identity => ({
      label: `user ${name}`,
      registryAuth: basicAuth(name, PASSWORD),
      apiKind: 'session',
      roles,
      creates,
    });
    identities.push(
      { label: 'anonymous', registryAuth: null, apiKind: 'anonymous', roles: {}, creates: [] },
      { ...user('alice', { alice: 'admin' }, ['alice']), label: 'owner (alice)' },
      { ...user('oscar', { acme: 'admin' }, ['acme']), label: 'org admin (oscar)' },
      { ...user('tina', { acme: 'write' }, []), label: 'team member, role member + write grant (tina)' },
      { ...user('carl', {}, ['acme']), label: 'team member, role creator (carl)' },
      { ...user('eve', {}, []), label: 'other user (eve)' },
      { ...user('root', {}, []), label: 'superuser without full access (root)' },
      { ...user('dan', { alice: 'admin' }, []), label: 'disabled user (dan)', disabled: true },
      ...(['reader', 'writer', 'boss'] as const).map(
        (short, i): Identity => ({
          label: `robot acme+${short}`,
          registryAuth: basicAuth(`acme+${short}`, robots[short]!),
          apiKind: 'registry-only',
          roles: { acme: (['read', 'write', 'admin'] as const)[i]! },
          creates: [],
        }),
      ),
      { label: 'app token of alice', registryAuth: basicAuth('$app', app.token), apiKind: 'registry-only', roles: { alice: 'admin' }, creates: ['alice'] },
    );
    for (const scope of ['repo:read', 'repo:write', 'repo:admin', 'repo:create', 'user:read']) {
      const token = await oauthToken(registry, 'alice', [scope]);
      identities.push({
        label: `OAuth token of alice with ${scope}`,
        registryAuth: basicAuth('$oauthtoken', token),
        api: new ApiClient(registry.url, { bearer: token }),
        apiKind: 'oauth',
        roles: { alice: 'admin' },
        creates: ['alice'],
        scopes: [scope],
      });
    }
    for (const identity of identities) {
      if (identity.api) continue;
      if (identity.apiKind === 'session') {
        identity.api = await sessionClient(registry, (identity.registryAuth as { basic: { username: string } }).basic.username);
      } else if (identity.apiKind === 'registry-only') {
        const { username, password } = (identity.registryAuth as { basic: { username: string; password: string } }).basic;
        const header = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
        identity.api = new ApiClient(registry.url, null);
        const original = identity.api.request.bind(identity.api);
        identity.api.request = (method, path, body, headers = {}) => original(method, path, body, { ...headers, authorization: header });
      } else {
        identity.api = new ApiClient(registry.url, null);
      }
    }
    await db.updateTable('namespace').set({ enabled: 0 }).where('name', '=', 'dan').execute();
  }, 120_000);

  afterAll(() => registry.close());

  const CELLS: [Namespace, Visibility][] = [
    ['alice', 'public'],
    ['alice', 'private'],
    ['acme', 'public'],
    ['acme', 'private'],
  ];

  it('pull: /v2/ manifest GET and /api/v1 repository GET', async () => {
    for (const [ns, visibility] of CELLS) {
      const repo = await makeRepository(ns, `pull-${visibility}-${suffix()}`, visibility);
      for (const identity of identities) {
        const allowed = mayRead(identity, ns, visibility);
        const v2 = await registryClient(identity).getManifest(repo, 'v1');
        expect(v2.status, `${identity.label} pull ${repo}: ${v2.describe()}`).toBe(expected(identity, 'v2', allowed, 200));
        const api = await identity.api!.get(`/api/v1/repository/${repo}`);
        expect(api.status, `${identity.label} GET ${repo}: ${api.describe()}`).toBe(expected(identity, 'api', allowed, 200));
      }
    }
  }, 120_000);

  it('push: /v2/ image push and /api/v1 description change', async () => {
    for (const [ns, visibility] of CELLS) {
      const repo = await makeRepository(ns, `push-${visibility}-${suffix()}`, visibility);
      for (const identity of identities) {
        const allowed = !identity.disabled && atLeast(effectiveRole(identity, ns), 'write');
        const client = registryClient(identity);
        const start = await client.startUpload(repo);
        const want = expected(identity, 'v2', allowed, 202);
        expect(start.status, `${identity.label} push ${repo}: ${start.describe()}`).toBe(want);
        if (allowed) await client.pushImage(repo, `by-${suffix()}`, randomImage(1));
        const api = await identity.api!.put(`/api/v1/repository/${repo}`, { description: `set by ${identity.label}` });
        expect(api.status, `${identity.label} PUT ${repo}: ${api.describe()}`).toBe(expected(identity, 'api', allowed, 200));
      }
    }
  }, 180_000);

  it('delete tag: /v2/ manifest DELETE by tag', async () => {
    for (const [ns, visibility] of CELLS) {
      const repo = await makeRepository(ns, `deltag-${visibility}-${suffix()}`, visibility);
      const owner = anonymousRegistry.as(basicAuth(ns === 'alice' ? 'alice' : 'oscar', PASSWORD));
      for (const identity of identities) {
        const tag = `t-${suffix()}`;
        await owner.pushImage(repo, tag, randomImage(1));
        const allowed = !identity.disabled && atLeast(effectiveRole(identity, ns), 'write');
        const res = await registryClient(identity).delete(`/v2/${repo}/manifests/${tag}`);
        expect(res.status, `${identity.label} delete ${repo}:${tag}: ${res.describe()}`).toBe(expected(identity, 'v2', allowed, 202));
        const after = await owner.getManifest(repo, tag);
        expect(after.status, `${identity.label} deleted ${repo}:${tag}? ${after.describe()}`).toBe(allowed ? 404 : 200);
      }
    }
  }, 180_000);

  it('change permission: /api/v1 PUT permissions/user', async () => {
    for (const [ns, visibility] of CELLS) {
      const repo = await makeRepository(ns, `perm-${visibility}-${suffix()}`, visibility);
      for (const identity of identities) {
        const allowed = !identity.disabled && atLeast(effectiveRole(identity, ns), 'admin');
        const res = await identity.api!.put(`/api/v1/repository/${repo}/permissions/user/zed`, { role: 'read' });
        expect(res.status, `${identity.label} grant on ${repo}: ${res.describe()}`).toBe(expected(identity, 'api', allowed, 200));
      }
    }
  }, 120_000);

  it('delete repository: /api/v1 DELETE repository', async () => {
    for (const [ns, visibility] of CELLS) {
      for (const identity of identities) {
        const repo = await makeRepository(ns, `del-${visibility}-${suffix()}`, visibility);
        const allowed = !identity.disabled && atLeast(effectiveRole(identity, ns), 'admin');
        const res = await identity.api!.delete(`/api/v1/repository/${repo}`);
        const want = expected(identity, 'api', allowed, 204);
        expect(res.status, `${identity.label} delete ${repo}: ${res.describe()}`).toBe(want);
        const owner = anonymousRegistry.as(basicAuth(ns === 'alice' ? 'alice' : 'oscar', PASSWORD));
        const after = await owner.getManifest(repo, 'v1');
        expect(after.status, `${identity.label} deleted ${repo}? ${after.describe()}`).toBe(want === 204 ? 404 : 200);
      }
    }
  }, 240_000);

  it('create repository: /v2/ push to a new name and /api/v1 POST repository', async () => {
    for (const ns of ['alice', 'acme'] as const) {
      for (const identity of identities) {
        const name = `new-${suffix()}`;
        // As in Quay, whoever may create a repository is granted push on it when it does not exist yet.
        const pushAllowed = mayCreate(identity, ns);
        const start = await registryClient(identity).startUpload(`${ns}/${name}`);
        expect(start.status, `${identity.label} create-by-push ${ns}/${name}: ${start.describe()}`).toBe(
          expected(identity, 'v2', pushAllowed, 202),
        );
        const apiName = `api-${suffix()}`;
        const res = await identity.api!.post('/api/v1/repository', { namespace: ns, repository: apiName, visibility: 'private', description: '' });
        expect(res.status, `${identity.label} create ${ns}/${apiName}: ${res.describe()}`).toBe(
          expected(identity, 'api', mayCreate(identity, ns), 201),
        );
      }
    }
  }, 120_000);
});
