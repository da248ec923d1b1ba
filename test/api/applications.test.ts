import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessToken } from '../../src/model/oauth-tokens.js';
import { type ApiClient, anonymousClient, sessionClient, tokenClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, namespaceId } from '../helpers/fixtures.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** OAuth applications of an organization: /api/v1/organization/{orgname}/applications. */

const APPS = '/api/v1/organization/acme/applications';

const NEW_APP = {
  name: 'Builder',
  redirect_uri: 'https://builder.example/callback',
  application_uri: 'https://builder.example/',
  description: 'Builds images',
  avatar_email: 'builder@example.com',
};

interface AppView {
  name: string;
  description: string;
  application_uri: string;
  client_id: string;
  client_secret: string;
  redirect_uri: string;
  avatar_email: string | null;
}

describe.each(testDialects())('organization applications (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let carol: ApiClient;
  let bob: ApiClient;

  async function createApp(body: Record<string, unknown> = NEW_APP): Promise<AppView> {
    const res = await alice.post(APPS, body);
    expect(res.status, res.describe()).toBe(200);
    return res.body;
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    for (const name of ['alice', 'bob', 'carol', 'dave']) await registry.createUser(name, `${name}-password-1`);
    const acme = await createOrganizationBy(registry, 'acme', 'alice');
    await createOrganizationBy(registry, 'bobco', 'bob');
    await addTeam(registry, acme.id, 'readers', 'member', ['carol']);
    await addTeam(registry, acme.id, 'builders', 'creator', ['dave']);
    alice = await sessionClient(registry, 'alice');
    carol = await sessionClient(registry, 'carol');
    bob = await sessionClient(registry, 'bob');
  });
  afterAll(async () => {
    await registry?.close();
  });

  describe('as an organization admin', () => {
    it('creates an application with a generated client id and secret', async () => {
      const app = await createApp();
      expect(app).toMatchObject({
        name: 'Builder',
        description: 'Builds images',
        application_uri: 'https://builder.example/',
        redirect_uri: 'https://builder.example/callback',
        avatar_email: 'builder@example.com',
      });
      expect(app.client_id).toMatch(/^[A-Z0-9]{20}$/);
      expect(app.client_secret).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(Object.keys(app).sort()).toEqual(
        ['application_uri', 'avatar_email', 'client_id', 'client_secret', 'description', 'name', 'redirect_uri'].sort(),
      );
    });

    it('needs only a name; the rest defaults to empty', async () => {
      const app = await createApp({ name: 'Minimal' });
      expect(app).toMatchObject({ name: 'Minimal', description: '', application_uri: '', redirect_uri: '', avatar_email: null });
      expect(app.client_secret).toMatch(/^[A-Za-z0-9]{40}$/);
    });

    it('lists and gets applications with their secrets', async () => {
      const app = await createApp({ name: 'Listed' });
      const list = await alice.get(APPS);
      expect(list.status, list.describe()).toBe(200);
      const listed = list.body.applications.find((a: AppView) => a.client_id === app.client_id);
      expect(listed).toEqual(app);
      const one = await alice.get(`${APPS}/${app.client_id}`);
      expect(one.status, one.describe()).toBe(200);
      expect(one.body).toEqual(app);
    });

    it('updates an application', async () => {
      const app = await createApp({ name: 'Old name', description: 'old', avatar_email: 'old@example.com' });
      const res = await alice.put(`${APPS}/${app.client_id}`, {
        name: 'New name',
        redirect_uri: 'https://new.example/cb',
        application_uri: 'https://new.example',
      });
      expect(res.status, res.describe()).toBe(200);
      expect(res.body).toEqual({
        ...app,
        name: 'New name',
        redirect_uri: 'https://new.example/cb',
        application_uri: 'https://new.example',
        description: '',
        avatar_email: null,
      });
      expect((await alice.get(`${APPS}/${app.client_id}`)).body.name).toBe('New name');
    });

    it('resets the client secret', async () => {
      const app = await createApp({ name: 'Rotated' });
      const res = await alice.post(`${APPS}/${app.client_id}/resetclientsecret`);
      expect(res.status, res.describe()).toBe(200);
      expect(res.body.client_secret).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(res.body.client_secret).not.toBe(app.client_secret);
      expect(res.body.client_id).toBe(app.client_id);
      expect((await alice.get(`${APPS}/${app.client_id}`)).body.client_secret).toBe(res.body.client_secret);
    });

    it('deletes an application and the access tokens granted to it', async () => {
      const app = await createApp({ name: 'Doomed' });
      const row = await registry.ctx.db
        .selectFrom('oauth_application')
        .select('id')
        .where('client_id', '=', app.client_id)
        .executeTakeFirstOrThrow();
      await createAccessToken(registry.ctx.db, {
        applicationId: row.id,
        userId: await namespaceId(registry, 'alice'),
        scopes: ['repo:read'],
        expiresInS: 3600,
      });
      const res = await alice.delete(`${APPS}/${app.client_id}`);
      expect(res.status, res.describe()).toBe(204);
      expect((await alice.get(`${APPS}/${app.client_id}`)).status).toBe(404);
      expect((await alice.delete(`${APPS}/${app.client_id}`)).status).toBe(404);
      const tokens = await registry.ctx.db
        .selectFrom('oauth_access_token')
        .select('id')
        .where('application_id', '=', row.id)
        .execute();
      expect(tokens).toEqual([]);
    });

    it('works with an OAuth token holding org:admin, not without it', async () => {
      const withScope = await tokenClient(registry, 'alice', ['org:admin']);
      expect((await withScope.get(APPS)).status).toBe(200);
      expect((await withScope.post(APPS, { name: 'via token' })).status).toBe(200);
      const withoutScope = await tokenClient(registry, 'alice', ['repo:admin', 'user:admin', 'repo:create']);
      const list = await withoutScope.get(APPS);
      expect(list.status, list.describe()).toBe(403);
      expect(list.body.error_type).toBe('insufficient_scope');
      expect((await withoutScope.post(APPS, { name: 'nope' })).status).toBe(403);
    });
  });

  describe('who else may call', () => {
    let app: AppView;
    beforeAll(async () => {
      app = await createApp({ name: 'Guarded' });
    });

    it.each([
      ['a non-admin member', () => carol],
      ['a member of a creator team', () => sessionClientFor('dave')],
      ['an outsider', () => bob],
    ])('refuses %s with 403 and shows no secret', async (_label, who) => {
      const client = await who();
      for (const res of [
        await client.get(APPS),
        await client.post(APPS, { name: 'intruder' }),
        await client.get(`${APPS}/${app.client_id}`),
        await client.put(`${APPS}/${app.client_id}`, { name: 'x', redirect_uri: '', application_uri: '' }),
        await client.delete(`${APPS}/${app.client_id}`),
        await client.post(`${APPS}/${app.client_id}/resetclientsecret`),
      ]) {
        expect(res.status, res.describe()).toBe(403);
        expect(JSON.stringify(res.body)).not.toContain(app.client_secret);
      }
      expect((await alice.get(`${APPS}/${app.client_id}`)).body).toEqual(app);
    });

    it('refuses anonymous callers with 401', async () => {
      const anonymous = anonymousClient(registry);
      expect((await anonymous.get(APPS)).status).toBe(401);
      expect((await anonymous.post(APPS, { name: 'x' })).status).toBe(401);
      expect((await anonymous.get(`${APPS}/${app.client_id}`)).status).toBe(401);
      expect((await anonymous.post(`${APPS}/${app.client_id}/resetclientsecret`)).status).toBe(401);
    });

    async function sessionClientFor(name: string): Promise<ApiClient> {
      return sessionClient(registry, name);
    }
  });

  describe('not found', () => {
    it('answers 404 for an unknown organization, a user namespace, and an unknown client id', async () => {
      expect((await alice.get('/api/v1/organization/nosuchorg/applications')).status).toBe(404);
      expect((await alice.post('/api/v1/organization/nosuchorg/applications', { name: 'x' })).status).toBe(404);
      expect((await alice.get('/api/v1/organization/alice/applications')).status).toBe(404);
      for (const clientId of ['NOSUCHCLIENT00000000', "x' OR '1'='1", 'a'.repeat(300)]) {
        const path = `${APPS}/${encodeURIComponent(clientId)}`;
        const res = await alice.get(path);
        expect(res.status, res.describe()).toBe(404);
        expect(res.body.error_type).toBe('not_found');
        expect((await alice.delete(path)).status).toBe(404);
        expect((await alice.post(`${path}/resetclientsecret`)).status).toBe(404);
      }
    });

    it("does not reach another organization's application through this organization", async () => {
      const bobApps = '/api/v1/organization/bobco/applications';
      const created = await bob.post(bobApps, { name: 'Bob app' });
      expect(created.status, created.describe()).toBe(200);
      const clientId = created.body.client_id;
      expect((await alice.get(`${APPS}/${clientId}`)).status).toBe(404);
      expect((await alice.delete(`${APPS}/${clientId}`)).status).toBe(404);
      expect((await alice.post(`${APPS}/${clientId}/resetclientsecret`)).status).toBe(404);
      const list = await alice.get(APPS);
      expect(JSON.stringify(list.body)).not.toContain(clientId);
      expect(JSON.stringify(list.body)).not.toContain(created.body.client_secret);
      // bob's application and secret are intact
      expect((await bob.get(`${bobApps}/${clientId}`)).body.client_secret).toBe(created.body.client_secret);
    });
  });

  describe('bad input', () => {
    it.each([
      ['a missing name', { redirect_uri: 'https://x.example' }],
      ['an empty name', { name: '' }],
      ['a blank name', { name: '   ' }],
      ['an overlong name', { name: 'n'.repeat(256) }],
      ['a non-string name', { name: 7 }],
      ['a javascript: redirect URI', { name: 'x', redirect_uri: 'javascript:alert(1)' }],
      ['a relative redirect URI', { name: 'x', redirect_uri: '/callback' }],
      ['a redirect URI with a fragment', { name: 'x', redirect_uri: 'https://x.example/cb#frag' }],
      ['a redirect URI with raw non-ASCII', { name: 'x', redirect_uri: 'https://x.example/caf\u00e9' }],
      ['a redirect URI with a line break', { name: 'x', redirect_uri: 'https://x.example/a\r\nb' }],
      ['an overlong redirect URI', { name: 'x', redirect_uri: `https://x.example/${'a'.repeat(2100)}` }],
      ['a bad application URI', { name: 'x', application_uri: 'not a url' }],
      ['a bad avatar e-mail', { name: 'x', avatar_email: 'not-an-email' }],
      ['an overlong description', { name: 'x', description: 'd'.repeat(5000) }],
    ])('refuses %s with a clean 400 on create', async (_label, body) => {
      const res = await alice.post(APPS, body);
      expect(res.status, res.describe()).toBe(400);
      expect(res.body.error_type).toBe('invalid_request');
    });

    it('refuses updates without the fields Quay requires, or with bad values', async () => {
      const app = await createApp({ name: 'Strict' });
      for (const body of [
        { name: 'x' },
        { name: 'x', redirect_uri: 'https://x.example' },
        { name: '', redirect_uri: '', application_uri: '' },
        { name: 'x', redirect_uri: 'ftp://x.example', application_uri: '' },
      ]) {
        const res = await alice.put(`${APPS}/${app.client_id}`, body);
        expect(res.status, res.describe()).toBe(400);
      }
      expect((await alice.get(`${APPS}/${app.client_id}`)).body).toEqual(app);
    });
  });

  describe('storage', () => {
    it('stores the client secret encrypted, never in clear', async () => {
      const app = await createApp({ name: 'Sealed' });
      const row = await registry.ctx.db
        .selectFrom('oauth_application')
        .selectAll()
        .where('client_id', '=', app.client_id)
        .executeTakeFirstOrThrow();
      expect(row.client_secret_encrypted?.startsWith('v1$')).toBe(true);
      expect(JSON.stringify(row)).not.toContain(app.client_secret);
      expect(registry.ctx.secrets.open(row.client_secret_encrypted!)).toBe(app.client_secret);
    });
  });
});
