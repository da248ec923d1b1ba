import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMessages } from '../../src/model/messages.js';
import { expectApiError, expectStatus, sessionClient } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** With FEATURE_SUPER_USERS off, the superuser API is not there, even for a configured superuser. */
describe('superuser API without FEATURE_SUPER_USERS', () => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry({ overrides: { SUPER_USERS: ['root'], FEATURE_SUPER_USERS: false } });
    await registry.createUser('root', 'root-password');
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('still lists global messages, but creating and deleting them is not found (404)', async () => {
    const root = await sessionClient(registry, 'root');
    expectStatus(await root.get('/api/v1/messages'), 200);
    const notice = { content: 'Maintenance tonight', media_type: 'text/plain', severity: 'info' };
    expectApiError(await root.post('/api/v1/messages', { message: notice }), 404);
    expectApiError(await root.delete('/api/v1/message/00000000-0000-0000-0000-000000000000'), 404);
    expect(await listMessages(registry.ctx.db)).toEqual([]);
  });

  it('has no registry size (404)', async () => {
    const root = await sessionClient(registry, 'root');
    expectApiError(await root.get('/api/v1/superuser/registrysize/'), 404);
    expectApiError(await root.post('/api/v1/superuser/registrysize/'), 404);
  });

  it('has no organization management (404)', async () => {
    const root = await sessionClient(registry, 'root');
    expectApiError(await root.get('/api/v1/superuser/organizations/'), 404);
  });
});
