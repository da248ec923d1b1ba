import { Type as T } from '@sinclair/typebox';
import { Invalid } from '../errors.js';
import { encodePageToken, invalidPageToken, pageTokenFields } from './page-token.js';

/**
 * Quay's `limit` / `next_page` paging of the superuser lists of users and organizations: without
 * a limit Quay answers with every entry (whatever the token says); with one, at most 100 entries
 * follow the name the token carries, and `next_page` is set while more remain.
 */

const MAX_PAGE_LIMIT = 100;

/** The query parameters; `what` names the entries in the description ("Users", "Organizations"). */
export function namePageQuery(what: string) {
  return {
    limit: T.Optional(T.Integer({ minimum: 1, description: `${what} per page, at most 100; all of them when absent.` })),
    next_page: T.Optional(T.String({ description: 'The page token from the previous page.' })),
  };
}

/** Which entries a request asks for: everything (no limit), or `limit` names after `after`. */
interface NamePageRequest {
  after?: string | undefined;
  limit?: number | undefined;
}

/** The name a token says the previous page ended at. */
function pageTokenName(token: string): string {
  const after = pageTokenFields(token)['n'];
  if (typeof after !== 'string' || after.length > 255) throw invalidPageToken();
  return after;
}

/** Reads `limit` and `next_page`; throws Invalid for a limit above 100 or a token that is not one. */
export function namePageRequest(query: { limit?: number | undefined; next_page?: string | undefined }): NamePageRequest {
  const { limit, next_page: nextPage } = query;
  if (limit !== undefined && limit > MAX_PAGE_LIMIT) throw new Invalid('input', `Page limit cannot be above ${MAX_PAGE_LIMIT}`);
  const after = nextPage === undefined ? undefined : pageTokenName(nextPage);
  return limit === undefined ? {} : { after, limit };
}

/** Adds `next_page` to a list response when the page ended at `nextAfter` with more to come. */
export function withNextPage(body: Record<string, unknown>, nextAfter: string | undefined): Record<string, unknown> {
  if (nextAfter !== undefined) body['next_page'] = encodePageToken({ n: nextAfter });
  return body;
}
