import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '../../src/context.js';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.js';
import { deleteTag } from '../../src/model/tags.js';
import { GarbageCollector, type GcRunReport, startGcWorker } from '../../src/workers/gc.js';
import { startBackgroundWorkers } from '../../src/workers/index.js';
import { randomBlob, randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import type { RegistryClient } from '../helpers/http.js';
import type { TestRegistry } from '../helpers/registry.js';
import { blobRow, collectAfter, PUSH_HOLD_S, repositoryOf, setTimeMachine, startGcRegistry, stored, uniqueRepo } from './support.js';

const PAST_HOLD_MS = (PUSH_HOLD_S + 1) * 1000;

interface ReadableCounter {
  get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }>;
}

async function counterValue(counter: ReadableCounter, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await counter.get();
  const match = values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return match?.value ?? 0;
}

/** A logger that keeps its warn and error lines, so a test can assert that nothing went wrong. */
function recordingLogger(): { log: pino.Logger; problems: string[] } {
  const problems: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      problems.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: pino({ level: 'warn' }, destination), problems };
}

/** The gc worker: its switch, its schedule, its metrics, and several collectors at once. */
describe.each(testDialects())('gc worker (%s)', (dialect) => {
  let registry: TestRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    ({ registry, client } = await startGcRegistry(dialect));
    await setTimeMachine(registry, 0);
  });

  afterAll(async () => {
    await registry?.close();
  });

  function withConfig(changes: Partial<AppContext['config']>): AppContext {
    return { ...registry.ctx, config: { ...registry.ctx.config, ...changes } };
  }

  it('does not start when FEATURE_GARBAGE_COLLECTION is off, and starts when it is on', async () => {
    const off = withConfig({ FEATURE_GARBAGE_COLLECTION: false });
    expect(startGcWorker(off)).toBeUndefined();
    const none = startBackgroundWorkers(off, ['gc']);
    expect(none.running).toEqual([]);
    await none.stop();

    const on = startBackgroundWorkers(withConfig({ FEATURE_GARBAGE_COLLECTION: true }), ['gc']);
    expect(on.running).toEqual(['gc']);
    await on.stop();
  });

  it('runs every GARBAGE_COLLECTION_FREQUENCY seconds', async () => {
    const { metrics } = registry.ctx;
    const before = await counterValue(metrics.gcIterations);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const worker = startGcWorker(withConfig({ GARBAGE_COLLECTION_FREQUENCY: 5 }))!;
      await vi.advanceTimersByTimeAsync(4_999);
      expect(await counterValue(metrics.gcIterations)).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      await worker.stop();
      expect(await counterValue(metrics.gcIterations)).toBe(before + 1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts runs, stored blobs deleted and table rows deleted', async () => {
    const { metrics } = registry.ctx;
    await collectAfter(registry, PAST_HOLD_MS);
    const path = uniqueRepo('metrics');
    await client.pushImage(path, 'v1', randomImage(2));
    await deleteTag(registry.ctx.db, (await repositoryOf(registry, path)).id, 'v1');
    const before = {
      runs: await counterValue(metrics.gcIterations),
      blobs: await counterValue(metrics.gcStorageBlobsDeleted),
      tags: await counterValue(metrics.gcTableRowsDeleted, { table: 'tag' }),
      manifests: await counterValue(metrics.gcTableRowsDeleted, { table: 'manifest' }),
      blobRows: await counterValue(metrics.gcTableRowsDeleted, { table: 'blob' }),
    };

    const report = await collectAfter(registry, PAST_HOLD_MS);

    expect(report.storageBlobsDeleted).toBe(3);
    expect(await counterValue(metrics.gcIterations)).toBe(before.runs + 1);
    expect(await counterValue(metrics.gcStorageBlobsDeleted)).toBe(before.blobs + 3);
    expect(await counterValue(metrics.gcTableRowsDeleted, { table: 'tag' })).toBe(before.tags + 1);
    expect(await counterValue(metrics.gcTableRowsDeleted, { table: 'manifest' })).toBe(before.manifests + 1);
    expect(await counterValue(metrics.gcTableRowsDeleted, { table: 'blob' })).toBe(before.blobRows + 3);
  });

  it('with FEATURE_QUOTA_MANAGEMENT, asks for a recount of each namespace whose manifests it collected', async () => {
    const path = uniqueRepo('quota');
    await client.pushImage(path, 'v1', randomImage(1));
    const repo = await repositoryOf(registry, path);
    await deleteTag(registry.ctx.db, repo.id, 'v1');
    await registry.ctx.db.deleteFrom('queue_item').where('queue_name', '=', 'quotatotal').execute();

    await collectAfter(registry, PAST_HOLD_MS, withConfig({ FEATURE_QUOTA_MANAGEMENT: true }));

    const items = await registry.ctx.db.selectFrom('queue_item').select('body').where('queue_name', '=', 'quotatotal').execute();
    expect(items.map((i) => JSON.parse(i.body))).toEqual([{ namespace_id: repo.namespace_id }]);
  });

  it('two collectors at once delete each blob exactly once, without errors', async () => {
    await collectAfter(registry, PAST_HOLD_MS);
    const path = uniqueRepo('twice');
    const blobs = Array.from({ length: 12 }, () => randomBlob(200));
    for (const blob of blobs) await client.pushBlob(path, blob);
    // On PostgreSQL the second collector has its own connection pool, as another process would.
    let second: DatabaseHandle | undefined;
    if (dialect === 'postgres') second = openDatabase(registry.ctx.config.database);
    const first = recordingLogger();
    const other = recordingLogger();
    try {
      const collectors = [
        new GarbageCollector({ ...registry.ctx, log: first.log }),
        new GarbageCollector({ ...registry.ctx, db: second?.db ?? registry.ctx.db, log: other.log }),
      ];
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + PAST_HOLD_MS });
      let reports: GcRunReport[];
      try {
        reports = await Promise.all(collectors.map((c) => c.run()));
      } finally {
        vi.useRealTimers();
      }
      expect(reports.reduce((sum, r) => sum + r.storageBlobsDeleted, 0)).toBe(blobs.length);
      expect(reports.reduce((sum, r) => sum + (r.rowsDeleted.blob ?? 0), 0)).toBe(blobs.length);
      expect([...first.problems, ...other.problems]).toEqual([]);
      for (const blob of blobs) {
        expect(await blobRow(registry, blob.digest)).toBeUndefined();
        expect(await stored(registry, blob.digest)).toBe(false);
      }
    } finally {
      await second?.close();
    }
  });
});
