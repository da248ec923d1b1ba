import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, type ApiResponse, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { createRepositoryWithPermissions } from '../../src/model/repository-creation.js';
import { starRepository } from '../../src/model/stars.js';
import { testDialects } from '../helpers/databases.js';
import { createUsers, namespaceId } from '../helpers/fixtures.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'stars-Pa55word!';

describe.each(testDialects())('starred repositories API (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let bob: ApiClient;
  let anonymous: ApiClient;

  async function create(client: ApiClient, name: string, visibility: 'public' | 'private'): Promise<void> {
    expectStatus(await client.post('/api/v1/repository', { repository: name, visibility, description: `about ${name}` }), 201);
  }

  function listed(res: ApiResponse): string[] {
    return (res.body.repositories as Array<{ namespace: string; name: string }>).map((r) => `${r.namespace}/${r.name}`);
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['alice', 'bob'], PASSWORD);
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    anonymous = anonymousClient(registry);
    await create(alice, 'open', 'public');
    await create(alice, 'closed', 'private');
    await create(alice, 'group/nested', 'public');
    await create(bob, 'own', 'private');
  });

  afterAll(async () => {
    await registry?.close();
  });

  it('stars a readable repository (201, Quay\'s shape), lists it, and starring twice keeps one star', async () => {
    const res = await bob.post('/api/v1/user/starred', { namespace: 'alice', repository: 'open' });
    expectStatus(res, 201);
    expect(res.body).toEqual({ namespace: 'alice', repository: 'open' });
    expectStatus(await bob.post('/api/v1/user/starred', { namespace: 'alice', repository: 'open' }), 201);
    expectStatus(await bob.post('/api/v1/user/starred', { namespace: 'bob', repository: 'own' }), 201);

    const list = await bob.get('/api/v1/user/starred');
    expectStatus(list);
    expect(list.body).toEqual({
      repositories: [
        { namespace: 'alice', name: 'open', description: 'about open', is_public: true },
        { namespace: 'bob', name: 'own', description: 'about own', is_public: false },
      ],
    });
    const rows = await registry.ctx.db
      .selectFrom('star')
      .select('repository_id')
      .where('user_id', '=', await namespaceId(registry, 'bob'))
      .execute();
    expect(rows).toHaveLength(2);
    // Alice's stars are her own.
    expect((await alice.get('/api/v1/user/starred')).body.repositories).toEqual([]);
  });

  it('unstars (204), including nested repository names', async () => {
    expectStatus(await alice.post('/api/v1/user/starred', { namespace: 'alice', repository: 'group/nested' }), 201);
    expect(listed(await alice.get('/api/v1/user/starred'))).toEqual(['alice/group/nested']);
    expect(listed(await alice.get('/api/v1/repository?starred=true'))).toEqual(['alice/group/nested']);
    const res = await alice.delete('/api/v1/user/starred/alice/group/nested');
    expect(res.status, res.describe()).toBe(204);
    expect(listed(await alice.get('/api/v1/user/starred'))).toEqual([]);
    expect((await alice.get('/api/v1/repository/alice/group/nested')).body.is_starred).toBe(false);
    // Taking off a star that is not there is not an error.
    expect((await alice.delete('/api/v1/user/starred/alice/group/nested')).status).toBe(204);
  });

  it('refuses to star a private repository the user cannot read (403) and unknown ones (404)', async () => {
    expectApiError(await bob.post('/api/v1/user/starred', { namespace: 'alice', repository: 'closed' }), 403);
    expectApiError(await bob.post('/api/v1/user/starred', { namespace: 'alice', repository: 'missing' }), 404);
    expectApiError(await bob.post('/api/v1/user/starred', { namespace: 'nobody', repository: 'nothing' }), 404);
    expectApiError(await bob.post('/api/v1/user/starred', { namespace: 'alice', repository: 'Bad Name' }), 404);
    expect(listed(await bob.get('/api/v1/user/starred'))).not.toContain('alice/closed');
  });

  it('hides a starred repository once the user can no longer read it, and shows it again', async () => {
    await create(alice, 'flipping', 'public');
    expectStatus(await bob.post('/api/v1/user/starred', { namespace: 'alice', repository: 'flipping' }), 201);
    expect(listed(await bob.get('/api/v1/user/starred'))).toContain('alice/flipping');
    expectStatus(await alice.post('/api/v1/repository/alice/flipping/changevisibility', { visibility: 'private' }));
    expect(listed(await bob.get('/api/v1/user/starred'))).not.toContain('alice/flipping');
    expect(listed(await bob.get('/api/v1/repository?starred=true'))).not.toContain('alice/flipping');
    // The star can still be removed, then the repository stays hidden even when public again.
    expect((await bob.delete('/api/v1/user/starred/alice/flipping')).status).toBe(204);
    expectStatus(await alice.post('/api/v1/repository/alice/flipping/changevisibility', { visibility: 'public' }));
    expect(listed(await bob.get('/api/v1/user/starred'))).not.toContain('alice/flipping');
  });

  it('unstarring does not reveal private repositories: 403 for an unreadable one, 404 for a missing one', async () => {
    expectApiError(await bob.delete('/api/v1/user/starred/alice/closed'), 403);
    expectApiError(await bob.delete('/api/v1/user/starred/alice/never-was'), 404);
    expectApiError(await bob.delete('/api/v1/user/starred/alice'), 404);
  });

  it('a deleted repository leaves the starred list', async () => {
    await create(alice, 'doomed', 'public');
    expectStatus(await bob.post('/api/v1/user/starred', { namespace: 'alice', repository: 'doomed' }), 201);
    expect((await alice.delete('/api/v1/repository/alice/doomed')).status).toBe(204);
    expect(listed(await bob.get('/api/v1/user/starred'))).not.toContain('alice/doomed');
  });

  it('pages by 100 with next_page', async () => {
    const owner = await sessionClient(registry, 'alice');
    const aliceId = await namespaceId(registry, 'alice');
    const expected: string[] = [];
    await registry.createUser('many', PASSWORD);
    const many = (await findNamespace(registry.ctx.db, 'many'))!;
    for (let i = 0; i < 102; i++) {
      const name = `s-${String(i).padStart(3, '0')}`;
      const { repository } = await createRepositoryWithPermissions(registry.ctx.db, {
        namespace: many,
        name,
        visibility: 'public',
        creatorId: many.id,
      });
      await starRepository(registry.ctx.db, aliceId, repository.id);
      expected.push(`many/${name}`);
    }
    const first = await owner.get('/api/v1/user/starred');
    expect(first.body.repositories).toHaveLength(100);
    expect(typeof first.body.next_page).toBe('string');
    const second = await owner.get(`/api/v1/user/starred?next_page=${encodeURIComponent(first.body.next_page)}`);
    expect(second.body.next_page).toBeUndefined();
    expect([...listed(first), ...listed(second)].filter((p) => p.startsWith('many/'))).toEqual(expected);
    expectApiError(await owner.get('/api/v1/user/starred?next_page=%21%21'), 400);
  });

  it('needs a signed-in user with user:admin (401 anonymous, 403 otherwise) and a valid body (400)', async () => {
    expectApiError(await anonymous.get('/api/v1/user/starred'), 401);
    expectApiError(await anonymous.post('/api/v1/user/starred', { namespace: 'alice', repository: 'open' }), 401);
    expectApiError(await anonymous.delete('/api/v1/user/starred/alice/open'), 401);
    const readOnly = await tokenClient(registry, 'bob', ['repo:read', 'user:read']);
    expectApiError(await readOnly.post('/api/v1/user/starred', { namespace: 'alice', repository: 'open' }), 403);
    expectApiError(await readOnly.get('/api/v1/user/starred'), 403);
    const admin = await tokenClient(registry, 'bob', ['repo:read', 'user:admin']);
    expectStatus(await admin.get('/api/v1/user/starred'));
    // As in Quay, user:admin is what counts: without repo:read a token still stars public repositories.
    const userAdminOnly = await tokenClient(registry, 'bob', ['user:admin']);
    expectStatus(await userAdminOnly.post('/api/v1/user/starred', { namespace: 'alice', repository: 'open' }), 201);
    expectStatus(await userAdminOnly.delete('/api/v1/user/starred/alice/open'), 204);
    expectApiError(await bob.post('/api/v1/user/starred', { namespace: 'alice' }), 400);
    expectApiError(await bob.post('/api/v1/user/starred', { namespace: 42, repository: 'open' }), 400);
    expectApiError(await bob.request('POST', '/api/v1/user/starred'), 400);
  });
});
