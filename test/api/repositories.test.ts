import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace, type Namespace } from '../../src/model/namespaces.js';
import { createRepositoryWithPermissions } from '../../src/model/repository-creation.js';
import { type ApiClient, type ApiResponse, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'repos-Pa55word!';

describe.each(testDialects())('repository API (%s)', (dialect) => {
  let registry: TestRegistry;
  let acme: Namespace;
  /** alice: owns her namespace; creator (owners team) of organization acme. */
  let alice: ApiClient;
  /** bob: another user, with no rights on alice's repositories unless a test grants them. */
  let bob: ApiClient;
  /** carol: in acme's `readers` team (member role), may not create repositories there. */
  let carol: ApiClient;
  /** dave: in acme's `builders` team (creator role). */
  let dave: ApiClient;
  let anonymous: ApiClient;
  let v2Anonymous: RegistryClient;

  function v2(username: string): RegistryClient {
    return new RegistryClient(registry.url, basicAuth(username, PASSWORD));
  }

  function uniqueName(prefix: string): string {
    return `${prefix}-${randomBytes(4).toString('hex')}`;
  }

  async function grant(repository: string, username: string, role: 'read' | 'write' | 'admin'): Promise<void> {
    const [namespace, ...rest] = repository.split('/');
    const repo = await registry.ctx.db
      .selectFrom('repository')
      .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
      .select('repository.id')
      .where('namespace.name', '=', namespace!)
      .where('repository.name', '=', rest.join('/'))
      .where('repository.state', '!=', 'MARKED_FOR_DELETION')
      .executeTakeFirstOrThrow();
    await registry.ctx.db
      .insertInto('repository_permission')
      .values({ repository_id: repo.id, member_id: await namespaceId(registry, username), team_id: null, role })
      .execute();
  }

  async function repositoryId(repository: string): Promise<number> {
    const [namespace, ...rest] = repository.split('/');
    const row = await registry.ctx.db
      .selectFrom('repository')
      .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
      .select('repository.id')
      .where('namespace.name', '=', namespace!)
      .where('repository.name', '=', rest.join('/'))
      .where('repository.state', '!=', 'MARKED_FOR_DELETION')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async function newestTagStartSeconds(repository: string): Promise<number> {
    const row = await registry.ctx.db
      .selectFrom('tag')
      .select((eb) => eb.fn.max('lifetime_start_ms').as('newest'))
      .where('repository_id', '=', await repositoryId(repository))
      .executeTakeFirstOrThrow();
    return Math.floor(Number(row.newest) / 1000);
  }

  /** Pull and push log entries of the last week for a repository, as written by whoever wrote them. */
  async function actionLogCount(id: number): Promise<number> {
    const row = await registry.ctx.db
      .selectFrom('log_entry')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('repository_id', '=', id)
      .where('kind', 'in', ['pull_repo', 'push_repo'])
      .where('datetime_ms', '>=', Date.now() - 7 * 24 * 3600 * 1000)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The usage-log entries of one kind about a repository, newest last. */
  async function logEntries(kind: string, id: number) {
    const rows = await registry.ctx.db
      .selectFrom('log_entry')
      .selectAll()
      .where('kind', '=', kind)
      .where('repository_id', '=', id)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ ...r, metadata: JSON.parse(r.metadata) as Record<string, unknown> }));
  }

  /** Creates alice/<prefix>-xxxx through the API and returns its path. */
  async function aliceRepository(prefix: string, visibility: 'public' | 'private' = 'private'): Promise<string> {
    const name = uniqueName(prefix);
    expectStatus(await alice.post('/api/v1/repository', { repository: name, visibility, description: '' }), 201);
    return `alice/${name}`;
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['alice', 'bob', 'carol', 'dave'], PASSWORD);
    acme = await createOrganizationBy(registry, 'acme', 'alice');
    await addTeam(registry, acme.id, 'readers', 'member', ['carol']);
    await addTeam(registry, acme.id, 'builders', 'creator', ['dave']);
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    carol = await sessionClient(registry, 'carol');
    dave = await sessionClient(registry, 'dave');
    anonymous = anonymousClient(registry);
    v2Anonymous = new RegistryClient(registry.url);
  });

  afterAll(async () => {
    await registry?.close();
  });

  describe('POST /api/v1/repository', () => {
    it('creates a private repository in the caller\'s namespace, with the caller as admin', async () => {
      const name = uniqueName('created');
      const res = await alice.post('/api/v1/repository', { repository: name, visibility: 'private', description: 'hello' });
      expectStatus(res, 201);
      expect(res.body).toEqual({ namespace: 'alice', name, kind: 'image' });
      const got = await alice.get(`/api/v1/repository/alice/${name}`);
      expectStatus(got);
      expect(got.body).toMatchObject({
        namespace: 'alice',
        name,
        kind: 'image',
        description: 'hello',
        is_public: false,
        is_organization: false,
        state: 'NORMAL',
        can_write: true,
        can_admin: true,
        tags: {},
      });
      const perms = await alice.get(`/api/v1/repository/alice/${name}/permissions/user/`);
      expect(perms.body.permissions.alice.role).toBe('admin');
    });

    it('the created repository takes pushes at once', async () => {
      const repo = await aliceRepository('pushable');
      await v2('alice').pushImage(repo, 'v1', randomImage(1));
      const got = await alice.get(`/api/v1/repository/${repo}`);
      expect(Object.keys(got.body.tags)).toEqual(['v1']);
      expect(got.body.tags.v1.manifest_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(got.body.tags.v1.last_modified).toMatch(/ -0000$/);
    });

    it('refuses a name that exists', async () => {
      const name = uniqueName('twice');
      expectStatus(await alice.post('/api/v1/repository', { repository: name, visibility: 'private' }), 201);
      const again = await alice.post('/api/v1/repository', { repository: name, visibility: 'public' });
      expectApiError(again, 400);
      expect(again.body.error_message).toBe('Repository already exists');
    });

    it('accepts nested names (FEATURE_EXTENDED_REPOSITORY_NAMES)', async () => {
      const name = `${uniqueName('group')}/app`;
      expectStatus(await alice.post('/api/v1/repository', { repository: name, visibility: 'private' }), 201);
      expectStatus(await alice.get(`/api/v1/repository/alice/${name}`));
    });

    it.each([
      ['upper case', 'MyRepo'],
      ['a space', 'my repo'],
      ['SQL', "x'; drop table repository; --"],
      ['a leading separator', '-repo'],
      ['a dot path', '../etc'],
      ['an empty component', 'a//b'],
      ['300 characters', 'a'.repeat(300)],
    ])('refuses a name with %s (400)', async (_what, repository) => {
      expectApiError(await alice.post('/api/v1/repository', { repository, visibility: 'private' }), 400);
    });

    it('refuses bad visibility, a missing name, application repositories and an empty body (400)', async () => {
      expectApiError(await alice.post('/api/v1/repository', { repository: uniqueName('v'), visibility: 'secret' }), 400);
      expectApiError(await alice.post('/api/v1/repository', { visibility: 'private' }), 400);
      expectApiError(
        await alice.post('/api/v1/repository', { repository: uniqueName('app'), visibility: 'private', repo_kind: 'application' }),
        400,
      );
      expectApiError(await alice.request('POST', '/api/v1/repository'), 400);
    });

    it('refuses anonymous callers (401), other namespaces (403) and tokens without repo:create (403)', async () => {
      expectApiError(await anonymous.post('/api/v1/repository', { repository: uniqueName('anon'), visibility: 'public' }), 401);
      expectApiError(
        await bob.post('/api/v1/repository', { repository: uniqueName('intrude'), visibility: 'public', namespace: 'alice' }),
        403,
      );
      const readOnlyToken = await tokenClient(registry, 'alice', ['repo:read', 'repo:write', 'repo:admin']);
      expectApiError(await readOnlyToken.post('/api/v1/repository', { repository: uniqueName('tok'), visibility: 'private' }), 403);
      const createToken = await tokenClient(registry, 'alice', ['repo:create']);
      expectStatus(await createToken.post('/api/v1/repository', { repository: uniqueName('tok'), visibility: 'private' }), 201);
    });

    it('in an organization: creator and admin teams may create, member teams may not', async () => {
      expectApiError(
        await carol.post('/api/v1/repository', { repository: uniqueName('org'), visibility: 'private', namespace: 'acme' }),
        403,
      );
      const name = uniqueName('org');
      const res = await dave.post('/api/v1/repository', { repository: name, visibility: 'private', namespace: 'acme' });
      expectStatus(res, 201);
      expect(res.body).toEqual({ namespace: 'acme', name, kind: 'image' });
      const got = await dave.get(`/api/v1/repository/acme/${name}`);
      expect(got.body).toMatchObject({ is_organization: true, can_admin: true });
      expectStatus(await alice.post('/api/v1/repository', { repository: uniqueName('org'), visibility: 'public', namespace: 'acme' }), 201);
    });

    it('refuses a namespace that does not exist (403)', async () => {
      expectApiError(
        await alice.post('/api/v1/repository', { repository: 'x', visibility: 'private', namespace: 'no-such-namespace' }),
        403,
      );
    });
  });

  describe('GET /api/v1/repository (listing)', () => {
    let privateRepo: string;
    let publicRepo: string;
    let emptyRepo: string;

    beforeAll(async () => {
      privateRepo = await aliceRepository('listed-private');
      publicRepo = await aliceRepository('listed-public', 'public');
      emptyRepo = await aliceRepository('listed-empty');
      await v2('alice').pushImage(privateRepo, 'latest', randomImage(1));
    });

    function names(res: ApiResponse): string[] {
      return (res.body.repositories as Array<{ namespace: string; name: string }>).map((r) => `${r.namespace}/${r.name}`);
    }

    it('needs namespace, starred or public (400)', async () => {
      expectApiError(await alice.get('/api/v1/repository'), 400);
    });

    it('shows the owner their private and public repositories, in Quay\'s shape', async () => {
      const res = await alice.get('/api/v1/repository?namespace=alice');
      expectStatus(res);
      expect(names(res)).toEqual(expect.arrayContaining([privateRepo, publicRepo]));
      const entry = res.body.repositories.find((r: { name: string }) => `alice/${r.name}` === privateRepo);
      expect(entry).toEqual({
        namespace: 'alice',
        name: privateRepo.slice('alice/'.length),
        description: '',
        is_public: false,
        kind: 'image',
        state: 'NORMAL',
        is_starred: false,
      });
      expect(res.body.next_page).toBeUndefined();
    });

    it('hides private repositories from other users and anonymous callers', async () => {
      const bobsView = await bob.get('/api/v1/repository?namespace=alice&public=true');
      expectStatus(bobsView);
      expect(names(bobsView)).toContain(publicRepo);
      expect(names(bobsView)).not.toContain(privateRepo);
      const anonymousView = await anonymous.get('/api/v1/repository?namespace=alice&public=true');
      expectStatus(anonymousView);
      expect(names(anonymousView)).toContain(publicRepo);
      expect(names(anonymousView)).not.toContain(privateRepo);
    });

    it('without public=true lists only what the caller holds rights on', async () => {
      const res = await bob.get('/api/v1/repository?namespace=alice');
      expectStatus(res);
      expect(names(res)).not.toContain(publicRepo);
      expect(names(res)).not.toContain(privateRepo);
      expect(names(await anonymous.get('/api/v1/repository?namespace=alice'))).toEqual([]);
    });

    it('shows a private repository to a user granted read on it', async () => {
      const repo = await aliceRepository('granted');
      expect(names(await carol.get('/api/v1/repository?namespace=alice'))).not.toContain(repo);
      await grant(repo, 'carol', 'read');
      expect(names(await carol.get('/api/v1/repository?namespace=alice'))).toContain(repo);
    });

    it("shows an organization's private repository to members of a team granted read on it", async () => {
      const name = uniqueName('team-listed');
      expectStatus(await alice.post('/api/v1/repository', { repository: name, visibility: 'private', namespace: 'acme' }), 201);
      const listed = async (client: ApiClient) => names(await client.get('/api/v1/repository?namespace=acme&public=true'));
      expect(await listed(carol)).not.toContain(`acme/${name}`);
      expectStatus(await alice.put(`/api/v1/repository/acme/${name}/permissions/team/readers`, { role: 'read' }));
      expect(await listed(carol)).toContain(`acme/${name}`);
      expect(names(await carol.get('/api/v1/repository?namespace=acme'))).toContain(`acme/${name}`);
      expect(await listed(bob)).not.toContain(`acme/${name}`);
      // Organization admins see every repository of the organization.
      expect(await listed(alice)).toContain(`acme/${name}`);
    });

    it('public=true without a namespace lists public repositories of every namespace', async () => {
      const res = await bob.get('/api/v1/repository?public=true');
      expectStatus(res);
      expect(names(res)).toContain(publicRepo);
      expect(names(res)).not.toContain(privateRepo);
    });

    it('last_modified is the newest tag start in seconds (null without tags)', async () => {
      const before = Math.floor(Date.now() / 1000) - 120;
      const res = await alice.get('/api/v1/repository?namespace=alice&last_modified=true');
      const byPath = new Map(res.body.repositories.map((r: { name: string }) => [`alice/${r.name}`, r]));
      const pushed = byPath.get(privateRepo) as { last_modified: number; popularity?: number };
      expect(pushed.last_modified).toBeGreaterThan(before);
      expect(pushed.last_modified).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
      expect(pushed.popularity).toBeUndefined();
      expect((byPath.get(emptyRepo) as { last_modified: unknown }).last_modified).toBeNull();
    });

    it('last_modified moves to the newest push', async () => {
      const repo = await aliceRepository('repushed-modified');
      await v2('alice').pushImage(repo, 'v1', randomImage(1));
      const firstStart = await newestTagStartSeconds(repo);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await v2('alice').pushImage(repo, 'v2', randomImage(1));
      const secondStart = await newestTagStartSeconds(repo);
      expect(secondStart).toBeGreaterThan(firstStart);
      const res = await alice.get('/api/v1/repository?namespace=alice&last_modified=true');
      const entry = res.body.repositories.find((r: { name: string }) => `alice/${r.name}` === repo);
      expect(entry.last_modified).toBe(secondStart);
    });

    it('popularity counts the pulls and pushes of the last week from the usage logs, nothing else', async () => {
      const repo = await aliceRepository('popular');
      const quiet = await aliceRepository('quiet');
      await v2('alice').pushImage(repo, 'latest', randomImage(1));
      expect((await v2('alice').getManifest(repo, 'latest')).status).toBe(200);
      await registry.ctx.usageLogs.flush();
      const id = await repositoryId(repo);
      const namespace = await namespaceId(registry, 'alice');
      const day = 24 * 3600 * 1000;
      const entry = (kind: 'pull_repo' | 'push_repo' | 'create_tag', atMs: number) => ({
        kind,
        namespaceId: namespace,
        performerId: null,
        repositoryId: id,
        atMs,
      });
      // What the registry itself logged for the real push and pull (nothing if it does not log them).
      const logged = await actionLogCount(id);
      for (const e of [
        entry('pull_repo', Date.now() - 1000),
        entry('pull_repo', Date.now() - 2 * day),
        entry('pull_repo', Date.now() - 6 * day),
        entry('push_repo', Date.now() - 3 * day),
        // Outside the week, and a kind that is not a pull or push: neither counts.
        entry('pull_repo', Date.now() - 8 * day),
        entry('create_tag', Date.now() - 1000),
      ]) {
        await registry.ctx.usageLogs.record(e);
      }
      const res = await alice.get('/api/v1/repository?namespace=alice&popularity=true');
      expectStatus(res);
      const byPath = new Map(res.body.repositories.map((r: { name: string }) => [`alice/${r.name}`, r]));
      expect((byPath.get(repo) as { popularity: number }).popularity).toBe(logged + 4);
      expect((byPath.get(quiet) as { popularity: number }).popularity).toBe(0);
      expect((byPath.get(quiet) as { last_modified?: unknown }).last_modified).toBeUndefined();
    });

    it('starred=true lists the caller\'s starred repositories; anonymous starred is refused (400)', async () => {
      const res = await carol.get('/api/v1/repository?starred=true');
      expectStatus(res);
      expect(res.body.repositories).toEqual([]);
      const starredPublic = await aliceRepository('star-listed', 'public');
      expectStatus(await carol.post('/api/v1/user/starred', { namespace: 'alice', repository: starredPublic.slice(6) }), 201);
      const after = await carol.get('/api/v1/repository?starred=true');
      expect(names(after)).toEqual([starredPublic]);
      expect(after.body.repositories[0].is_starred).toBe(true);
      // Stars are per user.
      expect(names(await bob.get('/api/v1/repository?starred=true'))).toEqual([]);
      expectApiError(await anonymous.get('/api/v1/repository?starred=true'), 400);
    });

    it('is_starred marks the caller\'s stars in a namespace listing and is left out for anonymous callers', async () => {
      expectStatus(await alice.post('/api/v1/user/starred', { namespace: 'alice', repository: publicRepo.slice(6) }), 201);
      const res = await alice.get('/api/v1/repository?namespace=alice');
      const byPath = new Map(res.body.repositories.map((r: { name: string }) => [`alice/${r.name}`, r]));
      expect((byPath.get(publicRepo) as { is_starred: boolean }).is_starred).toBe(true);
      expect((byPath.get(privateRepo) as { is_starred: boolean }).is_starred).toBe(false);
      const bobs = await bob.get('/api/v1/repository?namespace=alice&public=true');
      expect(bobs.body.repositories.find((r: { name: string }) => `alice/${r.name}` === publicRepo).is_starred).toBe(false);
      const anonymousView = await anonymous.get('/api/v1/repository?namespace=alice&public=true');
      expect(anonymousView.body.repositories[0]).not.toHaveProperty('is_starred');
    });

    it('repo_kind=application lists nothing (image repositories only); an unknown kind is 400', async () => {
      const res = await alice.get('/api/v1/repository?namespace=alice&repo_kind=application');
      expectStatus(res);
      expect(res.body).toEqual({ repositories: [] });
      expect(names(await alice.get('/api/v1/repository?namespace=alice&repo_kind=image'))).toContain(privateRepo);
      expectApiError(await alice.get('/api/v1/repository?namespace=alice&repo_kind=helm'), 400);
    });

    it('an OAuth token without repo:read lists only public repositories', async () => {
      const token = await tokenClient(registry, 'alice', ['user:read']);
      const res = await token.get('/api/v1/repository?namespace=alice&public=true');
      expectStatus(res);
      expect(names(res)).toContain(publicRepo);
      expect(names(res)).not.toContain(privateRepo);
    });

    it('pages by 100 with an opaque next_page token', async () => {
      const owner = (await findNamespace(registry.ctx.db, 'bob'))!;
      const bobId = owner.id;
      const expected: string[] = [];
      for (let i = 0; i < 105; i++) {
        const name = `paged-${String(i).padStart(3, '0')}`;
        await createRepositoryWithPermissions(registry.ctx.db, { namespace: owner, name, visibility: 'private', creatorId: bobId });
        expected.push(`bob/${name}`);
      }
      const first = await bob.get('/api/v1/repository?namespace=bob');
      expectStatus(first);
      expect(first.body.repositories).toHaveLength(100);
      expect(typeof first.body.next_page).toBe('string');
      const second = await bob.get(`/api/v1/repository?namespace=bob&next_page=${encodeURIComponent(first.body.next_page)}`);
      expectStatus(second);
      expect(second.body.next_page).toBeUndefined();
      expect([...names(first), ...names(second)]).toEqual(expected);
      // Another user paging through the same namespace sees none of bob's private repositories.
      expect(names(await alice.get(`/api/v1/repository?namespace=bob&next_page=${encodeURIComponent(first.body.next_page)}`))).toEqual([]);
    });

    it('walks public=true pages across namespaces with no repository twice and none missed', async () => {
      const owners = ['walk-a', 'walk-b', 'walk-c'];
      const expected: string[] = [];
      for (const ownerName of owners) {
        await registry.createUser(ownerName, PASSWORD);
        const owner = (await findNamespace(registry.ctx.db, ownerName))!;
        for (let i = 0; i < 70; i++) {
          const name = `w-${String(i).padStart(3, '0')}`;
          await createRepositoryWithPermissions(registry.ctx.db, { namespace: owner, name, visibility: 'public', creatorId: owner.id });
          expected.push(`${ownerName}/${name}`);
        }
        // Private ones in between must not show to others, nor shift the pages.
        await createRepositoryWithPermissions(registry.ctx.db, { namespace: owner, name: 'w-050x', visibility: 'private', creatorId: owner.id });
      }
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const res = await bob.get(`/api/v1/repository?public=true${token ? `&next_page=${encodeURIComponent(token)}` : ''}`);
        expectStatus(res);
        expect(res.body.repositories.length).toBeLessThanOrEqual(100);
        seen.push(...names(res));
        token = res.body.next_page;
        pages++;
      } while (token && pages < 50);
      expect(pages).toBeGreaterThan(2);
      const walked = seen.filter((p) => p.startsWith('walk-'));
      expect(walked).toEqual(expected);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it.each([
      ['garbage', 'not a token!'],
      ['base64 of text', Buffer.from('hello').toString('base64url')],
      ['the wrong JSON shape', Buffer.from(JSON.stringify({ ns: 1, n: ['x'] })).toString('base64url')],
      ['an overlong token', 'A'.repeat(5000)],
    ])('refuses a next_page that is %s (400)', async (_what, token) => {
      expectApiError(await alice.get(`/api/v1/repository?namespace=alice&next_page=${encodeURIComponent(token)}`), 400);
    });
  });

  describe('GET /api/v1/repository/{repository}', () => {
    it('is 404 for unknown and malformed repositories', async () => {
      expectApiError(await alice.get('/api/v1/repository/alice/no-such-repo'), 404);
      expectApiError(await alice.get('/api/v1/repository/nobody/nothing'), 404);
      expectApiError(await alice.get(`/api/v1/repository/alice/${encodeURIComponent("x' OR '1'='1")}`), 404);
      expectApiError(await alice.get(`/api/v1/repository/alice/${'a'.repeat(400)}`), 404);
    });

    it('refuses private repositories to other users (403) and anonymous callers (401)', async () => {
      const repo = await aliceRepository('secret');
      expectApiError(await bob.get(`/api/v1/repository/${repo}`), 403);
      expectApiError(await anonymous.get(`/api/v1/repository/${repo}`), 401);
    });

    it('shows public repositories to anyone, without write or admin', async () => {
      const repo = await aliceRepository('open', 'public');
      const res = await anonymous.get(`/api/v1/repository/${repo}`);
      expectStatus(res);
      expect(res.body).toMatchObject({
        is_public: true,
        can_write: false,
        can_admin: false,
        is_starred: false,
        trust_enabled: false,
        status_token: '',
        is_free_account: true,
      });
      expect(typeof res.body.tag_expiration_s).toBe('number');
    });

    it('lists live tags with size, last_modified, expiration and digest; not deleted or expired ones', async () => {
      const repo = await aliceRepository('tagged');
      await v2('alice').pushImage(repo, 'keep', randomImage(1));
      await v2('alice').pushImage(repo, 'expiring', randomImage(1));
      await v2('alice').pushImage(repo, 'expired', randomImage(1));
      const id = await repositoryId(repo);
      const inAnHour = Date.now() + 3600_000;
      await registry.ctx.db.updateTable('tag').set({ expires_at_ms: inAnHour }).where('repository_id', '=', id).where('name', '=', 'expiring').execute();
      await registry.ctx.db.updateTable('tag').set({ expires_at_ms: Date.now() - 1000 }).where('repository_id', '=', id).where('name', '=', 'expired').execute();
      const res = await alice.get(`/api/v1/repository/${repo}`);
      expectStatus(res);
      expect(Object.keys(res.body.tags).sort()).toEqual(['expiring', 'keep']);
      expect(res.body.tags.keep).toEqual({
        name: 'keep',
        size: expect.any(Number),
        last_modified: expect.stringMatching(/ -0000$/),
        manifest_digest: expect.stringMatching(/^sha256:/),
      });
      expect(res.body.tags.keep.size).toBeGreaterThan(0);
      expect(new Date(res.body.tags.expiring.expiration).getTime()).toBe(Math.floor(inAnHour / 1000) * 1000);
      expect(res.body.stats).toBeUndefined();
    });

    it('includeStats gives pulls and pushes per day for the last 92 days, oldest first, zeros on quiet days', async () => {
      const repo = await aliceRepository('stats');
      const id = await repositoryId(repo);
      const namespace = await namespaceId(registry, 'alice');
      const day = 24 * 3600 * 1000;
      const today = Math.floor(Date.now() / day) * day;
      const record = (kind: 'pull_repo' | 'push_repo' | 'set_repo_description', atMs: number) =>
        registry.ctx.usageLogs.record({ kind, namespaceId: namespace, performerId: null, repositoryId: id, atMs });
      await record('pull_repo', today + 1);
      await record('push_repo', today + 2);
      await record('set_repo_description', today + 3);
      await record('pull_repo', today - 3 * day + 5);
      await record('pull_repo', today - 200 * day);
      const res = await alice.get(`/api/v1/repository/${repo}?includeStats=true&includeTags=false`);
      expectStatus(res);
      const stats = res.body.stats as Array<{ date: string; count: number }>;
      expect(stats).toHaveLength(92);
      const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      expect(stats.at(-1)).toEqual({ date: iso(today), count: 2 });
      expect(stats[0]!.date).toBe(iso(today - 91 * day));
      expect(stats.find((s) => s.date === iso(today - 3 * day))!.count).toBe(1);
      expect(stats.reduce((sum, s) => sum + s.count, 0)).toBe(3);
      expect(res.body.tags).toBeUndefined();
    });

    it('is_starred follows the caller\'s star', async () => {
      const repo = await aliceRepository('starry', 'public');
      expect((await bob.get(`/api/v1/repository/${repo}`)).body.is_starred).toBe(false);
      expectStatus(await bob.post('/api/v1/user/starred', { namespace: 'alice', repository: repo.slice(6) }), 201);
      expect((await bob.get(`/api/v1/repository/${repo}`)).body.is_starred).toBe(true);
      expect((await alice.get(`/api/v1/repository/${repo}`)).body.is_starred).toBe(false);
      expect((await anonymous.get(`/api/v1/repository/${repo}`)).body.is_starred).toBe(false);
    });

    it('refuses a malformed includeStats (400)', async () => {
      const repo = await aliceRepository('badstats');
      expectApiError(await alice.get(`/api/v1/repository/${repo}?includeStats=maybe`), 400);
    });

    it('reports can_write for a writer and leaves out tags on includeTags=false', async () => {
      const repo = await aliceRepository('writer');
      await grant(repo, 'bob', 'write');
      const res = await bob.get(`/api/v1/repository/${repo}?includeTags=false`);
      expectStatus(res);
      expect(res.body).toMatchObject({ can_write: true, can_admin: false });
      expect(res.body.tags).toBeUndefined();
    });
  });

  describe('PUT /api/v1/repository/{repository} (description)', () => {
    it('lets writers change the description', async () => {
      const repo = await aliceRepository('described');
      await grant(repo, 'bob', 'write');
      const res = await bob.put(`/api/v1/repository/${repo}`, { description: '# New text' });
      expectStatus(res);
      expect(res.body).toEqual({ success: true });
      expect((await alice.get(`/api/v1/repository/${repo}`)).body.description).toBe('# New text');
    });

    it('refuses readers (403), outsiders (403), anonymous callers (401) and a missing description (400)', async () => {
      const repo = await aliceRepository('guarded');
      await grant(repo, 'carol', 'read');
      expectApiError(await carol.put(`/api/v1/repository/${repo}`, { description: 'x' }), 403);
      expectApiError(await bob.put(`/api/v1/repository/${repo}`, { description: 'x' }), 403);
      expectApiError(await anonymous.put(`/api/v1/repository/${repo}`, { description: 'x' }), 401);
      expectApiError(await alice.put(`/api/v1/repository/${repo}`, { description: 42 }), 400);
      expectApiError(await alice.put('/api/v1/repository/alice/missing-repo', { description: 'x' }), 404);
    });
  });

  describe('DELETE /api/v1/repository/{repository}', () => {
    it('removes the repository from /v2/, the API and listings, queues its clean-up and frees the name', async () => {
      const repo = await aliceRepository('doomed');
      const image = randomImage(1);
      await v2('alice').pushImage(repo, 'v1', image);
      const row = await registry.ctx.db
        .selectFrom('repository')
        .select('id')
        .where('name', '=', repo.slice('alice/'.length))
        .executeTakeFirstOrThrow();

      const res = await alice.delete(`/api/v1/repository/${repo}`);
      expect(res.status, res.describe()).toBe(204);

      expectApiError(await alice.get(`/api/v1/repository/${repo}`), 404);
      const listed = await alice.get('/api/v1/repository?namespace=alice');
      expect(listed.body.repositories.map((r: { name: string }) => `alice/${r.name}`)).not.toContain(repo);
      expect([401, 403, 404]).toContain((await v2('alice').getManifest(repo, 'v1')).status);
      const catalog = (await v2('alice').get('/v2/_catalog?n=1000')).json() as { repositories: string[] };
      expect(catalog.repositories).not.toContain(repo);

      const queued = await registry.ctx.db
        .selectFrom('queue_item')
        .select('body')
        .where('queue_name', '=', 'repositorygc')
        .execute();
      expect(queued.map((q) => JSON.parse(q.body).repository_id)).toContain(row.id);

      // The name is free again: a new, empty repository.
      const name = repo.slice('alice/'.length);
      expectStatus(await alice.post('/api/v1/repository', { repository: name, visibility: 'private' }), 201);
      expect((await alice.get(`/api/v1/repository/${repo}`)).body.tags).toEqual({});
      expect((await v2('alice').getManifest(repo, 'v1')).status).toBe(404);
    });

    it('a deleted name can also be pushed again through /v2/', async () => {
      const repo = await aliceRepository('repushed');
      expect((await alice.delete(`/api/v1/repository/${repo}`)).status).toBe(204);
      await v2('alice').pushImage(repo, 'v2', randomImage(1));
      expect(Object.keys((await alice.get(`/api/v1/repository/${repo}`)).body.tags)).toEqual(['v2']);
    });

    it('needs admin: writers (403), anonymous (401), tokens without repo:admin (403); unknown is 404', async () => {
      const repo = await aliceRepository('kept');
      await grant(repo, 'bob', 'write');
      expectApiError(await bob.delete(`/api/v1/repository/${repo}`), 403);
      expectApiError(await anonymous.delete(`/api/v1/repository/${repo}`), 401);
      const writeToken = await tokenClient(registry, 'alice', ['repo:read', 'repo:write']);
      expectApiError(await writeToken.delete(`/api/v1/repository/${repo}`), 403);
      expectStatus(await alice.get(`/api/v1/repository/${repo}`));
      expectApiError(await alice.delete('/api/v1/repository/alice/never-existed'), 404);
      const adminToken = await tokenClient(registry, 'alice', ['repo:admin']);
      expect((await adminToken.delete(`/api/v1/repository/${repo}`)).status).toBe(204);
    });
  });

  describe('POST …/changevisibility', () => {
    it('public lets anonymous clients pull; private takes it away again', async () => {
      const repo = await aliceRepository('flip');
      await v2('alice').pushImage(repo, 'v1', randomImage(1));
      expect([401, 403, 404]).toContain((await v2Anonymous.getManifest(repo, 'v1')).status);

      const res = await alice.post(`/api/v1/repository/${repo}/changevisibility`, { visibility: 'public' });
      expectStatus(res);
      expect(res.body).toEqual({ success: true });
      expect((await v2Anonymous.getManifest(repo, 'v1')).status).toBe(200);
      expect((await anonymous.get(`/api/v1/repository/${repo}`)).body.is_public).toBe(true);

      expectStatus(await alice.post(`/api/v1/repository/${repo}/changevisibility`, { visibility: 'private' }));
      expect([401, 403, 404]).toContain((await v2Anonymous.getManifest(repo, 'v1')).status);
    });

    it('needs admin and a valid visibility', async () => {
      const repo = await aliceRepository('vis');
      await grant(repo, 'bob', 'write');
      expectApiError(await bob.post(`/api/v1/repository/${repo}/changevisibility`, { visibility: 'public' }), 403);
      expectApiError(await anonymous.post(`/api/v1/repository/${repo}/changevisibility`, { visibility: 'public' }), 401);
      expectApiError(await alice.post(`/api/v1/repository/${repo}/changevisibility`, { visibility: 'everyone' }), 400);
      expectApiError(await alice.post('/api/v1/repository/alice/none-here/changevisibility', { visibility: 'public' }), 404);
      expect((await alice.get(`/api/v1/repository/${repo}`)).body.is_public).toBe(false);
    });
  });

  describe('PUT …/changestate', () => {
    it('READ_ONLY refuses pushes but serves pulls; NORMAL restores pushes', async () => {
      const repo = await aliceRepository('frozen');
      const first = randomImage(1);
      await v2('alice').pushImage(repo, 'v1', first);

      const res = await alice.put(`/api/v1/repository/${repo}/changestate`, { state: 'READ_ONLY' });
      expectStatus(res);
      expect(res.body).toEqual({ success: true });
      const view = await alice.get(`/api/v1/repository/${repo}`);
      expect(view.body).toMatchObject({ state: 'READ_ONLY', can_write: false, can_admin: true });

      expect((await v2('alice').getManifest(repo, 'v1')).status).toBe(200);
      const second = randomImage(1);
      const upload = await v2('alice').startUpload(repo);
      // Basic-auth pushes are refused by authorization (403 DENIED); Quay answers 405 from its token endpoint.
      expect([403, 405], upload.describe()).toContain(upload.status);
      const manifestPut = await v2('alice').putManifest(repo, 'v2', second.manifest);
      expect([403, 405], manifestPut.describe()).toContain(manifestPut.status);
      const token = await new RegistryClient(registry.url).tokenRequest([`repository:${repo}:pull,push`], basicAuth('alice', PASSWORD));
      if (token.status === 200) {
        const granted = JSON.parse(Buffer.from((token.json() as { token: string }).token.split('.')[1]!, 'base64url').toString());
        expect(granted.access[0].actions).not.toContain('push');
      }

      expectStatus(await alice.put(`/api/v1/repository/${repo}/changestate`, { state: 'NORMAL' }));
      await v2('alice').pushImage(repo, 'v2', second);
    });

    it('refuses unknown states, MIRROR without FEATURE_REPO_MIRROR and MARKED_FOR_DELETION (400)', async () => {
      const repo = await aliceRepository('states');
      const bogus = await alice.put(`/api/v1/repository/${repo}/changestate`, { state: 'BOGUS' });
      expectApiError(bogus, 400);
      expect(bogus.body.error_message).toBe('BOGUS is not a valid Repository state.');
      const mirror = await alice.put(`/api/v1/repository/${repo}/changestate`, { state: 'MIRROR' });
      expectApiError(mirror, 400);
      expect(mirror.body.error_message).toBe('Unknown Repository State: MIRROR');
      expectApiError(await alice.put(`/api/v1/repository/${repo}/changestate`, { state: 'MARKED_FOR_DELETION' }), 400);
      expectApiError(await alice.put(`/api/v1/repository/${repo}/changestate`, {}), 400);
      expect((await alice.get(`/api/v1/repository/${repo}`)).body.state).toBe('NORMAL');
    });

    it('needs admin', async () => {
      const repo = await aliceRepository('statelock');
      await grant(repo, 'bob', 'write');
      expectApiError(await bob.put(`/api/v1/repository/${repo}/changestate`, { state: 'READ_ONLY' }), 403);
      expectApiError(await anonymous.put(`/api/v1/repository/${repo}/changestate`, { state: 'READ_ONLY' }), 401);
      const writeToken = await tokenClient(registry, 'alice', ['repo:write']);
      expectApiError(await writeToken.put(`/api/v1/repository/${repo}/changestate`, { state: 'READ_ONLY' }), 403);
      expect((await alice.get(`/api/v1/repository/${repo}`)).body.state).toBe('NORMAL');
    });
  });

  describe('usage logs of repository writes', () => {
    it('create, description, visibility, state and delete each log Quay\'s kind and metadata, with performer and address', async () => {
      const name = uniqueName('audited');
      const repo = `alice/${name}`;
      expectStatus(await alice.post('/api/v1/repository', { repository: name, visibility: 'private', description: '' }), 201);
      const id = await repositoryId(repo);
      expectStatus(await alice.put(`/api/v1/repository/${repo}`, { description: 'about it' }));
      expectStatus(await alice.post(`/api/v1/repository/${repo}/changevisibility`, { visibility: 'public' }));
      expectStatus(await alice.put(`/api/v1/repository/${repo}/changestate`, { state: 'READ_ONLY' }));
      expect((await alice.delete(`/api/v1/repository/${repo}`)).status).toBe(204);

      const aliceId = await namespaceId(registry, 'alice');
      const base = { repo: name, namespace: 'alice' };
      const expectations: Array<[string, Record<string, unknown>]> = [
        ['create_repo', base],
        ['set_repo_description', { ...base, description: 'about it' }],
        ['change_repo_visibility', { ...base, visibility: 'public' }],
        ['change_repo_state', { ...base, state_changed: 'READ_ONLY' }],
        ['delete_repo', base],
      ];
      for (const [kind, metadata] of expectations) {
        const entries = await logEntries(kind, id);
        expect(entries, kind).toHaveLength(1);
        expect(entries[0]!.metadata, kind).toEqual(metadata);
        expect(entries[0]!.performer_id, kind).toBe(aliceId);
        expect(entries[0]!.account_id, kind).toBe(aliceId);
        expect(entries[0]!.ip, kind).toBeTruthy();
      }
    });

    it('a refused write logs nothing', async () => {
      const repo = await aliceRepository('unaudited');
      const id = await repositoryId(repo);
      expectApiError(await bob.put(`/api/v1/repository/${repo}`, { description: 'x' }), 403);
      expectApiError(await bob.post(`/api/v1/repository/${repo}/changevisibility`, { visibility: 'public' }), 403);
      expectApiError(await alice.put(`/api/v1/repository/${repo}/changestate`, { state: 'BOGUS' }), 400);
      expect(await logEntries('set_repo_description', id)).toEqual([]);
      expect(await logEntries('change_repo_visibility', id)).toEqual([]);
      expect(await logEntries('change_repo_state', id)).toEqual([]);
    });
  });

  describe('with FEATURE_REPO_MIRROR', () => {
    let mirrorRegistry: TestRegistry;
    beforeAll(async () => {
      mirrorRegistry = await startTestRegistry({ dialect, overrides: { FEATURE_REPO_MIRROR: true } });
      await mirrorRegistry.createUser('alice', PASSWORD);
    });
    afterAll(async () => {
      await mirrorRegistry?.close();
    });

    it('MIRROR is a valid state, and refuses the owner\'s pushes', async () => {
      const client = await sessionClient(mirrorRegistry, 'alice');
      expectStatus(await client.post('/api/v1/repository', { repository: 'mirrored', visibility: 'private' }), 201);
      expectStatus(await client.put('/api/v1/repository/alice/mirrored/changestate', { state: 'MIRROR' }));
      expect((await client.get('/api/v1/repository/alice/mirrored')).body.state).toBe('MIRROR');
      const push = await new RegistryClient(mirrorRegistry.url, basicAuth('alice', PASSWORD)).startUpload('alice/mirrored');
      expect([401, 403, 405], push.describe()).toContain(push.status);
    });
  });

  describe('with FEATURE_EXTENDED_REPOSITORY_NAMES off', () => {
    let flatRegistry: TestRegistry;
    beforeAll(async () => {
      flatRegistry = await startTestRegistry({ dialect, overrides: { FEATURE_EXTENDED_REPOSITORY_NAMES: false } });
      await flatRegistry.createUser('alice', PASSWORD);
    });
    afterAll(async () => {
      await flatRegistry?.close();
    });

    it('refuses nested names (400) and accepts flat ones', async () => {
      const client = await sessionClient(flatRegistry, 'alice');
      expectApiError(await client.post('/api/v1/repository', { repository: 'group/app', visibility: 'private' }), 400);
      expectStatus(await client.post('/api/v1/repository', { repository: 'app', visibility: 'private' }), 201);
    });
  });
});
