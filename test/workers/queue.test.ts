import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.js';
import { claimQueueItem, completeQueueItem, enqueue, type QueueName, releaseQueueItem } from '../../src/model/queue.js';
import { QueueWorker } from '../../src/workers/queue-worker.js';
import { openTestDatabase, type TestDatabase } from '../auth/support.js';
import { testDialects } from '../helpers/databases.js';

const LEASE_MS = 60_000;
const silent = pino({ level: 'silent' });

/**
 * The work queue's leases: concurrent workers (separate connection pools on one database) take
 * each item once, and a worker whose lease ran out can no longer complete or release the item.
 */
describe.each(testDialects())('work queue leases (%s)', (dialect) => {
  let database: TestDatabase;
  let second: DatabaseHandle;
  let queueCounter = 0;

  /** A queue name no other test uses, so tests do not see each other's items. */
  function freshQueue(): QueueName {
    queueCounter++;
    return `test_${queueCounter}` as QueueName;
  }

  async function itemsIn(queue: QueueName): Promise<number> {
    const row = await database.db
      .selectFrom('queue_item')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('queue_name', '=', queue)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    second = openDatabase(database.config.database);
  });

  afterAll(async () => {
    await second?.close();
    await database?.close();
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('two workers on separate connections drain 200 items, each handled exactly once', async () => {
    vi.useRealTimers();
    const queue = freshQueue();
    for (let n = 0; n < 200; n++) await enqueue(database.db, queue, { n });
    const handled = new Map<number, string[]>();
    function workerOn(db: DatabaseHandle['db'], name: string): QueueWorker {
      return new QueueWorker(
        { db, dialect: database.dialect, log: silent },
        {
          queue,
          leaseMs: LEASE_MS,
          async handle(item) {
            const n = item.body['n'] as number;
            handled.set(n, [...(handled.get(n) ?? []), name]);
            await new Promise((resolve) => setImmediate(resolve));
          },
        },
      );
    }
    const [first, other] = await Promise.all([workerOn(database.db, 'a').drain(), workerOn(second.db, 'b').drain()]);
    expect(first + other).toBe(200);
    expect(handled.size).toBe(200);
    expect([...handled.values()].filter((workers) => workers.length !== 1)).toEqual([]);
    expect(await itemsIn(queue)).toBe(0);
  });

  it('an expired lease lets another worker claim the item; the late completion and release change nothing', async () => {
    const queue = freshQueue();
    const id = await enqueue(database.db, queue, { job: 'slow' });
    const late = await claimQueueItem(database.db, database.dialect, queue, LEASE_MS);
    expect(late?.id).toBe(id);
    expect(await claimQueueItem(second.db, database.dialect, queue, LEASE_MS)).toBeUndefined();

    vi.setSystemTime(Date.now() + LEASE_MS + 1);
    const current = await claimQueueItem(second.db, database.dialect, queue, LEASE_MS);
    expect(current?.id).toBe(id);
    expect(current?.lease).not.toBe(late?.lease);

    expect(await completeQueueItem(database.db, late!)).toBe(false);
    expect(await releaseQueueItem(database.db, late!, 0)).toBe(false);
    expect(await itemsIn(queue)).toBe(1);
    // Still leased to the second claim: nobody else gets it.
    expect(await claimQueueItem(database.db, database.dialect, queue, LEASE_MS)).toBeUndefined();

    expect(await completeQueueItem(second.db, current!)).toBe(true);
    expect(await itemsIn(queue)).toBe(0);
  });

  it('a QueueWorker whose handler overran its lease leaves the item to the new holder', async () => {
    const queue = freshQueue();
    await enqueue(database.db, queue, { job: 'overrun' });
    let taken: Awaited<ReturnType<typeof claimQueueItem>>;
    const slow = new QueueWorker(
      { db: database.db, dialect: database.dialect, log: silent },
      {
        queue,
        leaseMs: LEASE_MS,
        async handle() {
          vi.setSystemTime(Date.now() + LEASE_MS + 1);
          taken = await claimQueueItem(second.db, database.dialect, queue, LEASE_MS);
        },
      },
    );
    expect(await slow.runOne()).toBe(true);
    expect(taken).toBeDefined();
    expect(await itemsIn(queue)).toBe(1);
    expect(await completeQueueItem(second.db, taken!)).toBe(true);
    expect(await itemsIn(queue)).toBe(0);
  });

  it('a released item comes back after its delay with one claim fewer', async () => {
    const queue = freshQueue();
    await enqueue(database.db, queue, { job: 'retry' }, { retries: 2 });
    const first = await claimQueueItem(database.db, database.dialect, queue, LEASE_MS);
    expect(first?.retriesRemaining).toBe(1);
    expect(await releaseQueueItem(database.db, first!, 1000)).toBe(true);
    expect(await claimQueueItem(database.db, database.dialect, queue, LEASE_MS)).toBeUndefined();
    vi.setSystemTime(Date.now() + 1001);
    const again = await claimQueueItem(database.db, database.dialect, queue, LEASE_MS);
    expect(again?.retriesRemaining).toBe(0);
  });

  it('an item whose last claim expired is removed instead of staying forever', async () => {
    const queue = freshQueue();
    await enqueue(database.db, queue, { job: 'abandoned' }, { retries: 1 });
    const only = await claimQueueItem(database.db, database.dialect, queue, LEASE_MS);
    expect(only?.retriesRemaining).toBe(0);
    // Still leased: it stays.
    expect(await claimQueueItem(database.db, database.dialect, queue, LEASE_MS)).toBeUndefined();
    expect(await itemsIn(queue)).toBe(1);
    vi.setSystemTime(Date.now() + LEASE_MS + 1);
    expect(await claimQueueItem(database.db, database.dialect, queue, LEASE_MS)).toBeUndefined();
    expect(await itemsIn(queue)).toBe(0);
  });
});
