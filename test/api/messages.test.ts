import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessage, listMessages } from '../../src/model/messages.js';
import {
  type ApiClient,
  anonymousClient,
  expectApiError,
  expectStatus,
  sessionClient,
  tokenClient,
} from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** Global messages: GET|POST /api/v1/messages and DELETE /api/v1/message/{uuid}. */

const NOTICE = { content: 'Maintenance **tonight**', media_type: 'text/markdown', severity: 'warning' };

describe.each(testDialects())('global messages (%s)', (dialect) => {
  let registry: TestRegistry;
  let root: ApiClient;
  let auditor: ApiClient;
  let alice: ApiClient;

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: { SUPER_USERS: ['root'], GLOBAL_READONLY_SUPER_USERS: ['auditor'], FEATURE_ANONYMOUS_ACCESS: false },
    });
    await registry.createUser('root', 'root-password');
    await registry.createUser('auditor', 'auditor-password');
    await registry.createUser('alice', 'alice-password');
    root = await sessionClient(registry, 'root');
    auditor = await sessionClient(registry, 'auditor');
    alice = await sessionClient(registry, 'alice');
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('a superuser creates a message (201, empty body) that everyone, even anonymous callers, then reads', async () => {
    const created = await root.post('/api/v1/messages', { message: NOTICE });
    expectStatus(created, 201);
    expect(created.body).toBeUndefined();
    for (const reader of [anonymousClient(registry), alice, root]) {
      const res = await reader.get('/api/v1/messages');
      expectStatus(res, 200);
      expect(res.body.messages).toContainEqual({
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        content: 'Maintenance **tonight**',
        severity: 'warning',
        media_type: 'text/markdown',
      });
    }
  });

  it('lists messages oldest first', async () => {
    await createMessage(registry.ctx.db, { content: 'second', severity: 'info', mediaType: 'text/plain' });
    const contents = (await alice.get('/api/v1/messages')).body.messages.map((m: { content: string }) => m.content);
    expect(contents.indexOf('second')).toBeGreaterThan(contents.indexOf('Maintenance **tonight**'));
  });

  it('a superuser deletes a message (204); it is gone for everyone', async () => {
    const { uuid } = await createMessage(registry.ctx.db, { content: 'doomed', severity: 'error', mediaType: 'text/plain' });
    expectStatus(await root.delete(`/api/v1/message/${uuid}`), 204);
    expect((await listMessages(registry.ctx.db)).map((m) => m.uuid)).not.toContain(uuid);
    const res = await anonymousClient(registry).get('/api/v1/messages');
    expect(res.body.messages.map((m: { uuid: string }) => m.uuid)).not.toContain(uuid);
  });

  it('deleting an unknown message succeeds without touching the others, as in Quay', async () => {
    const before = await listMessages(registry.ctx.db);
    expectStatus(await root.delete('/api/v1/message/00000000-0000-0000-0000-000000000000'), 204);
    expect(await listMessages(registry.ctx.db)).toEqual(before);
  });

  it('refuses writes from anonymous callers (401), normal users, global read-only superusers and tokens without super:user (403)', async () => {
    const { uuid } = await createMessage(registry.ctx.db, { content: 'keep me', severity: 'info', mediaType: 'text/plain' });
    const before = (await listMessages(registry.ctx.db)).length;
    expectApiError(await anonymousClient(registry).post('/api/v1/messages', { message: NOTICE }), 401);
    expectApiError(await anonymousClient(registry).delete(`/api/v1/message/${uuid}`), 401);
    const narrowToken = await tokenClient(registry, 'root', ['user:admin']);
    for (const client of [alice, auditor, narrowToken]) {
      expectApiError(await client.post('/api/v1/messages', { message: NOTICE }), 403);
      expectApiError(await client.delete(`/api/v1/message/${uuid}`), 403);
    }
    expect(await listMessages(registry.ctx.db)).toHaveLength(before);
  });

  it('a token with super:user may create messages', async () => {
    const token = await tokenClient(registry, 'root', ['super:user']);
    expectStatus(await token.post('/api/v1/messages', { message: { ...NOTICE, content: 'by token' } }), 201);
    expect((await listMessages(registry.ctx.db)).map((m) => m.content)).toContain('by token');
  });

  it.each([
    ['no message', {}],
    ['a missing content', { message: { media_type: 'text/plain', severity: 'info' } }],
    ['an unknown severity', { message: { ...NOTICE, severity: 'critical' } }],
    ['an unknown media type', { message: { ...NOTICE, media_type: 'text/html' } }],
    ['a content that is not a string', { message: { ...NOTICE, content: 42 } }],
  ])('rejects %s with 400', async (_what, body) => {
    const before = (await listMessages(registry.ctx.db)).length;
    expectApiError(await root.post('/api/v1/messages', body), 400);
    expect(await listMessages(registry.ctx.db)).toHaveLength(before);
  });
});
