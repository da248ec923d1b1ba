import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { type PrivatePostgres, privatePostgresAvailable, startPrivatePostgres } from './private-postgres.js';

/**
 * PostgreSQL going away and coming back, on a private cluster: the health endpoints keep
 * answering (503, database false) while it is down and report 200 again once the pool reconnects.
 */

const RUN = privatePostgresAvailable();
/** Longer than any health check may take; a hung endpoint fails the test instead of stalling it. */
const ANSWER_WITHIN_MS = 15_000;

interface Health {
  status: number;
  services: Record<string, boolean>;
}

async function health(registry: TestRegistry, url: string): Promise<Health> {
  const res = await fetch(`${registry.url}${url}`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
  const body = (await res.json()) as { data: { services: Record<string, boolean> }; status_code: number };
  expect(body.status_code).toBe(res.status);
  return { status: res.status, services: body.data.services };
}

describe.skipIf(!RUN)('health while PostgreSQL is stopped and restarted', () => {
  let cluster: PrivatePostgres;
  let registry: TestRegistry;

  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    registry = await startTestRegistry({
      overrides: { DB_URI: cluster.uri, DISKSPACE_HEALTH_THRESHOLD: 0, DISKSPACE_HEALTH_WARNING_THRESHOLD: 0 },
    });
  }, 60_000);

  afterAll(async () => {
    await registry?.close();
    await cluster?.destroy();
  }, 30_000);

  it('answers 200, then 503 with database false while the server is down, then 200 again', async () => {
    expect(await health(registry, '/health/instance')).toEqual({
      status: 200,
      services: { auth: true, database: true, disk_space: true, service_key: true },
    });
    expect(await health(registry, '/health/endtoend')).toEqual({
      status: 200,
      services: { auth: true, database: true, storage: true },
    });

    await cluster.stop();
    try {
      const instance = await health(registry, '/health/instance');
      expect(instance.status).toBe(503);
      // The signing key is read from the database too.
      expect(instance.services).toEqual({ auth: true, database: false, disk_space: true, service_key: false });
      expect(await health(registry, '/health/endtoend')).toEqual({
        status: 503,
        services: { auth: true, database: false, storage: true },
      });
      // Disk space does not depend on the database.
      expect(await health(registry, '/health/warning')).toEqual({ status: 200, services: { disk_space_warning: true } });
    } finally {
      await cluster.start();
    }

    expect(await health(registry, '/health/instance')).toEqual({
      status: 200,
      services: { auth: true, database: true, disk_space: true, service_key: true },
    });
    expect((await health(registry, '/health/endtoend')).status).toBe(200);
  }, 60_000);
});
