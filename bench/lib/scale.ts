import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { type Generated, type Insertable, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Pool } from 'undici';
import { signIn } from './api-session.js';
import { openPool, percentile, RequestError } from './client.js';
import { markdownTable } from './report.js';
import { BENCH_USER, type BenchServer, type ServerId } from './servers.js';

/**
 * The scale scenario (`npm run bench -- --scale`): does a page of the repository listing and of
 * the tag listing cost the same whatever the total? One namespace is seeded with N repositories
 * and one of them with M tags, straight into the server's database in batches (the API is not
 * what is measured while seeding), then pages are timed at the start, middle and end of each
 * listing. The same server is grown from the small size to the large one, so the two sizes are
 * measured on the same process and database.
 *
 * - repositories: `GET /api/v1/repository?namespace=bench` as the signed-in owner, walking the
 *   listing with `next_page` once (every page timed, and checked: no repository twice, none
 *   missed), then the first, middle and last page requested again `repeats` times each.
 * - tags: `GET /api/v1/repository/bench/tagged/tag/?page=N&limit=100` for the first, middle and
 *   last page, `repeats` times each.
 */

export interface ScaleStep {
  repositories: number;
  tags: number;
}

export interface ScalePlan {
  mode: 'full' | 'quick';
  steps: ScaleStep[];
  /** Timed requests per measured page (after WARMUP untimed ones). */
  repeats: number;
}

const PAGE_SIZE = 100;
const WARMUP = 3;
const BATCH = 1000;
const NAMESPACE = BENCH_USER;
const TAGGED = 'tagged';

export function makeScalePlan(quick: boolean): ScalePlan {
  return quick
    ? { mode: 'quick', steps: [{ repositories: 100, tags: 1_000 }, { repositories: 1_000, tags: 10_000 }], repeats: 10 }
    : { mode: 'full', steps: [{ repositories: 1_000, tags: 10_000 }, { repositories: 10_000, tags: 100_000 }], repeats: 30 };
}

export type Listing = 'repositories' | 'tags';
export type PagePosition = 'first' | 'middle' | 'last';

export interface PageTiming {
  listing: Listing;
  /** Repositories in the namespace, or tags in the repository. */
  total: number;
  position: PagePosition;
  /** 1-based page number. */
  page: number;
  items: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
}

export interface ScaleResult {
  server: ServerId;
  step: ScaleStep;
  seedSeconds: number;
  /** The next_page walk over the whole repository listing. */
  walk: { pages: number; meanMs: number; maxMs: number };
  timings: PageTiming[];
  errors: string[];
}

// ---------------------------------------------------------------------------------------------
// seeding

/** The columns the seeding writes (Quayside's tables, as far as this scenario needs them). */
interface SeedTables {
  namespace: { id: Generated<number>; name: string };
  repository: {
    id: Generated<number>;
    namespace_id: number;
    name: string;
    visibility: string;
    state: string;
    description: string | null;
    created_at: number;
  };
  manifest: {
    id: Generated<number>;
    repository_id: number;
    digest: string;
    media_type: string;
    artifact_type: string | null;
    config_media_type: string | null;
    subject_digest: string | null;
    size: number;
    layers_size: number | null;
    content: Buffer;
    created_at: number;
    deleted_at: number | null;
  };
  tag: {
    id: Generated<number>;
    repository_id: number;
    name: string;
    manifest_id: number;
    lifetime_start_ms: number;
    lifetime_end_ms: number | null;
    hidden: number;
  };
}

function openDatabase(server: BenchServer): Kysely<SeedTables> {
  const database = server.database;
  if (!database) throw new Error(`${server.label} has no database to seed`);
  if (database.kind === 'postgres') {
    return new Kysely<SeedTables>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.uri, max: 2 }) }) });
  }
  const sqlite = new Database(database.file);
  sqlite.pragma('busy_timeout = 30000');
  return new Kysely<SeedTables>({ dialect: new SqliteDialect({ database: sqlite }) });
}

function repositoryName(i: number): string {
  return `r-${String(i).padStart(6, '0')}`;
}

function tagName(i: number): string {
  return `t-${String(i).padStart(7, '0')}`;
}

async function inBatches<T>(rows: T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await insert(rows.slice(i, i + BATCH));
}

/** A minimal OCI image manifest (one config, no layers) that every seeded tag points to. */
function seedManifest(repositoryId: number, now: number): Insertable<SeedTables['manifest']> {
  const config = createHash('sha256').update('{}').digest('hex');
  const content = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${config}`, size: 2 },
      layers: [],
    }),
  );
  return {
    repository_id: repositoryId,
    digest: `sha256:${createHash('sha256').update(content).digest('hex')}`,
    media_type: 'application/vnd.oci.image.manifest.v1+json',
    artifact_type: null,
    config_media_type: 'application/vnd.oci.image.config.v1+json',
    subject_digest: null,
    size: content.length,
    layers_size: 0,
    content,
    created_at: now,
    deleted_at: null,
  };
}

/**
 * Grows the namespace to `step.repositories` repositories (the tagged one included) and the tagged
 * repository to `step.tags` live tags. Returns the seconds it took.
 */
async function seed(db: Kysely<SeedTables>, server: BenchServer, step: ScaleStep): Promise<number> {
  const started = performance.now();
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    const namespace = await trx.selectFrom('namespace').select('id').where('name', '=', NAMESPACE).executeTakeFirstOrThrow();
    let tagged = await trx
      .selectFrom('repository')
      .select('id')
      .where('namespace_id', '=', namespace.id)
      .where('name', '=', TAGGED)
      .executeTakeFirst();
    if (!tagged) {
      tagged = await trx
        .insertInto('repository')
        .values({ namespace_id: namespace.id, name: TAGGED, visibility: 'private', state: 'NORMAL', description: null, created_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx.insertInto('manifest').values(seedManifest(tagged.id, now)).execute();
    }
    const manifest = await trx.selectFrom('manifest').select('id').where('repository_id', '=', tagged.id).executeTakeFirstOrThrow();

    const repositoryCount = await trx
      .selectFrom('repository')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('namespace_id', '=', namespace.id)
      .executeTakeFirstOrThrow();
    const haveRepositories = Number(repositoryCount.n) - 1;
    const repositories = [];
    for (let i = haveRepositories; i < step.repositories - 1; i++) {
      repositories.push({
        namespace_id: namespace.id,
        name: repositoryName(i),
        visibility: 'private',
        state: 'NORMAL',
        description: `repository ${i}`,
        created_at: now,
      });
    }
    await inBatches(repositories, (batch) => trx.insertInto('repository').values(batch).execute());

    const tagCount = await trx
      .selectFrom('tag')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('repository_id', '=', tagged.id)
      .executeTakeFirstOrThrow();
    const tags = [];
    for (let i = Number(tagCount.n); i < step.tags; i++) {
      tags.push({
        repository_id: tagged.id,
        name: tagName(i),
        manifest_id: manifest.id,
        // Distinct start times, older for lower numbers, as if pushed one after the other.
        lifetime_start_ms: now - 10 * 24 * 3600 * 1000 + i,
        lifetime_end_ms: null,
        hidden: 0,
      });
    }
    await inBatches(tags, (batch) => trx.insertInto('tag').values(batch).execute());
  });
  // Autovacuum vacuums and analyzes a table shortly after such an insert load (PostgreSQL 13+): the
  // statistics steer the plans, and the visibility map lets index-only scans skip the heap.
  if (server.database?.kind === 'postgres') await sql`VACUUM ANALYZE`.execute(db);
  return (performance.now() - started) / 1000;
}

// ---------------------------------------------------------------------------------------------
// measuring

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
async function timedGet(pool: Pool, path: string, cookie: string): Promise<{ ms: number; body: any }> {
  const started = performance.now();
  const res = await pool.request({ method: 'GET', path, headers: { cookie } });
  const text = await res.body.text();
  const ms = performance.now() - started;
  if (res.statusCode !== 200) throw new RequestError(`GET ${path} -> ${res.statusCode} ${text.slice(0, 200)}`);
  return { ms, body: JSON.parse(text) };
}

/** WARMUP untimed then `repeats` timed requests of one page; the item count of the last answer. */
async function timePage(
  pool: Pool,
  path: string,
  cookie: string,
  repeats: number,
  itemsOf: (body: unknown) => number,
): Promise<{ samples: number[]; items: number }> {
  let items = 0;
  for (let i = 0; i < WARMUP; i++) await timedGet(pool, path, cookie);
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const { ms, body } = await timedGet(pool, path, cookie);
    samples.push(ms);
    items = itemsOf(body);
  }
  return { samples, items };
}

function summary(samples: number[]): { medianMs: number; p90Ms: number; minMs: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: percentile(sorted, 50), p90Ms: percentile(sorted, 90), minMs: sorted[0]! };
}

function positions(pages: number): Array<[PagePosition, number]> {
  return [
    ['first', 1],
    ['middle', Math.max(1, Math.ceil(pages / 2))],
    ['last', pages],
  ];
}

async function measureRepositories(pool: Pool, cookie: string, step: ScaleStep, repeats: number, errors: string[]) {
  const base = `/api/v1/repository?namespace=${NAMESPACE}`;
  // Page k is requested with tokens[k - 1] (none for page 1).
  const tokens: Array<string | undefined> = [undefined];
  const seen = new Set<string>();
  const walkMs: number[] = [];
  for (;;) {
    const token = tokens.at(-1);
    const { ms, body } = await timedGet(pool, token ? `${base}&next_page=${encodeURIComponent(token)}` : base, cookie);
    walkMs.push(ms);
    for (const r of body.repositories as Array<{ name: string }>) {
      if (seen.has(r.name)) errors.push(`repository listing: ${r.name} twice`);
      seen.add(r.name);
    }
    if (!body.next_page) break;
    tokens.push(body.next_page);
    if (tokens.length > step.repositories) throw new Error('repository listing does not end');
  }
  if (seen.size !== step.repositories) errors.push(`repository listing: walked ${seen.size} of ${step.repositories}`);
  const pages = walkMs.length;
  const timings: PageTiming[] = [];
  for (const [position, page] of positions(pages)) {
    const token = tokens[page - 1];
    const path = token ? `${base}&next_page=${encodeURIComponent(token)}` : base;
    const { samples, items } = await timePage(pool, path, cookie, repeats, (b) => (b as { repositories: unknown[] }).repositories.length);
    const expected = page < pages ? PAGE_SIZE : step.repositories - PAGE_SIZE * (pages - 1);
    if (items !== expected) errors.push(`repository listing page ${page}: ${items} items, expected ${expected}`);
    timings.push({ listing: 'repositories', total: step.repositories, position, page, items, ...summary(samples) });
  }
  const walk = { pages, meanMs: walkMs.reduce((a, b) => a + b, 0) / pages, maxMs: Math.max(...walkMs) };
  return { timings, walk };
}

async function measureTags(pool: Pool, cookie: string, step: ScaleStep, repeats: number, errors: string[]): Promise<PageTiming[]> {
  const pages = Math.ceil(step.tags / PAGE_SIZE);
  const timings: PageTiming[] = [];
  for (const [position, page] of positions(pages)) {
    const path = `/api/v1/repository/${NAMESPACE}/${TAGGED}/tag/?page=${page}&limit=${PAGE_SIZE}`;
    let additional = true;
    const { samples, items } = await timePage(pool, path, cookie, repeats, (b) => {
      const body = b as { tags: unknown[]; has_additional: boolean };
      additional = body.has_additional;
      return body.tags.length;
    });
    const expected = page < pages ? PAGE_SIZE : step.tags - PAGE_SIZE * (pages - 1);
    if (items !== expected) errors.push(`tag listing page ${page}: ${items} items, expected ${expected}`);
    if (additional !== page < pages) errors.push(`tag listing page ${page}: has_additional ${additional}`);
    timings.push({ listing: 'tags', total: step.tags, position, page, items, ...summary(samples) });
  }
  return timings;
}

/** Seeds and measures each step of the plan on one Quayside server. */
export async function scaleScenario(server: BenchServer, plan: ScalePlan, log: (line: string) => void): Promise<ScaleResult[]> {
  const db = openDatabase(server);
  const pool = openPool(server.origin, 1);
  const results: ScaleResult[] = [];
  try {
    const { cookie } = await signIn(pool);
    for (const step of plan.steps) {
      log(`  ${server.label}: seeding ${step.repositories} repositories and ${step.tags} tags...`);
      const seedSeconds = await seed(db, server, step);
      log(`    seeded in ${seedSeconds.toFixed(1)} s; timing pages...`);
      const errors: string[] = [];
      const repositories = await measureRepositories(pool, cookie, step, plan.repeats, errors);
      const tags = await measureTags(pool, cookie, step, plan.repeats, errors);
      for (const e of errors) log(`    ERROR ${e}`);
      results.push({ server: server.id, step, seedSeconds, walk: repositories.walk, timings: [...repositories.timings, ...tags], errors });
    }
  } finally {
    await pool.close();
    await db.destroy();
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// report

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

/**
 * One table per listing: a row per server and size with the median time of the first, middle and
 * last page (p90 in brackets), and the ratio of the largest size's last page to the smallest
 * size's first page of the same server, which stays near 1 when a page does not grow with the total.
 */
export function scaleTable(results: ScaleResult[], labels: Record<string, string>): string {
  const sections: string[] = [];
  for (const listing of ['repositories', 'tags'] as const) {
    const header = ['server', listing === 'repositories' ? 'repositories' : 'tags', 'first page ms', 'middle page ms', 'last page ms'];
    if (listing === 'repositories') header.push('walk: pages, mean ms');
    header.push('errors');
    const body: string[][] = [];
    for (const result of results) {
      const timings = result.timings.filter((t) => t.listing === listing);
      const cell = (position: PagePosition) => {
        const t = timings.find((x) => x.position === position);
        return t ? `${ms(t.medianMs)} (${ms(t.p90Ms)}) p.${t.page}` : '-';
      };
      const row = [labels[result.server] ?? result.server, String(timings[0]?.total ?? '-'), cell('first'), cell('middle'), cell('last')];
      if (listing === 'repositories') row.push(`${result.walk.pages}, ${ms(result.walk.meanMs)}`);
      row.push(String(result.errors.length));
      body.push(row);
    }
    sections.push(`${listing === 'repositories' ? 'GET /api/v1/repository?namespace=…' : 'GET /api/v1/repository/…/tag/?page=N&limit=100'} (median ms, p90 in brackets)\n\n${markdownTable(header, body)}`);
  }
  const growth: string[][] = [];
  for (const server of [...new Set(results.map((r) => r.server))]) {
    const mine = results.filter((r) => r.server === server);
    const small = mine[0];
    const large = mine.at(-1);
    if (!small || !large || small === large) continue;
    for (const listing of ['repositories', 'tags'] as const) {
      const first = small.timings.find((t) => t.listing === listing && t.position === 'first');
      const last = large.timings.find((t) => t.listing === listing && t.position === 'last');
      if (!first || !last) continue;
      growth.push([
        labels[server] ?? server,
        listing,
        `${first.total} → ${last.total}`,
        `${(last.medianMs / first.medianMs).toFixed(2)}×`,
        `${(last.minMs / first.minMs).toFixed(2)}× (${ms(first.minMs)} → ${ms(last.minMs)})`,
      ]);
    }
  }
  if (growth.length > 0) {
    sections.push(
      `last page at the large size / first page at the small size (1.0 = no growth); the fastest of the\nsamples is the figure least disturbed by other load on the machine\n\n${markdownTable(['server', 'listing', 'total', 'median ratio', 'fastest ratio (ms)'], growth)}`,
    );
  }
  return sections.join('\n\n');
}
