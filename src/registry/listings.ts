import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorizeCatalog } from '../auth/authorize.js';
import type { Actor } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { Invalid } from '../errors.js';
import { listRepositoryPaths } from '../model/repositories.js';
import { listTagNames } from '../model/tags.js';
import { encodeRepositoryPath, openRepository, queryParam, type RepositoryCall } from './call.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

function pageSize(request: FastifyRequest): number {
  const n = queryParam(request, 'n');
  if (n === undefined || n === '') return DEFAULT_PAGE;
  const value = Number(n);
  if (!Number.isInteger(value) || value < 0) throw new Invalid('input', `n must be a non-negative integer, got "${n}"`);
  return Math.min(value, MAX_PAGE);
}

function nextLink(base: string, n: number, last: string): string {
  return `<${base}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

/** Fetches one more row than asked, to know whether a next page exists without a count query. */
async function paginate(
  request: FastifyRequest,
  fetch: (limit: number, last: string | undefined) => Promise<string[]>,
): Promise<{ items: string[]; next?: string; n: number }> {
  const n = pageSize(request);
  const last = queryParam(request, 'last');
  if (n === 0) return { items: [], n };
  const rows = await fetch(n + 1, last);
  const items = rows.slice(0, n);
  return rows.length > n ? { items, next: items[items.length - 1]!, n } : { items, n };
}

export async function tagsListHandler(call: RepositoryCall): Promise<FastifyReply> {
  const repo = await openRepository(call, 'pull');
  const page = await paginate(call.request, (limit, last) => listTagNames(call.ctx.db, repo.id, { limit, last }));
  if (page.next !== undefined) {
    call.reply.header('Link', nextLink(`/v2/${encodeRepositoryPath(call.path)}/tags/list`, page.n, page.next));
  }
  return call.reply.code(200).send({ name: call.path, tags: page.items });
}

export async function catalogHandler(
  ctx: AppContext,
  actor: Actor,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const scope = await authorizeCatalog(ctx, actor);
  const page = await paginate(request, (limit, last) => listRepositoryPaths(ctx.db, { limit, last, scope }));
  if (page.next !== undefined) reply.header('Link', nextLink('/v2/_catalog', page.n, page.next));
  return reply.code(200).send({ repositories: page.items });
}
