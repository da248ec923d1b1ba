import { Invalid } from '../errors.js';

/**
 * `next_page` tokens: a listing's keyset position as base64url JSON. Each listing chooses its
 * fields and checks them after decoding; a token that is not one of ours is Quay's 400.
 */

/** Longer than any position a listing writes (two names of at most 255 characters). */
const MAX_PAGE_TOKEN_LENGTH = 2048;

export function encodePageToken(position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function invalidPageToken(): Invalid {
  return new Invalid('input', 'next_page is not a valid page token');
}

/** The fields a token carries; throws invalidPageToken() when it does not decode to a JSON object. */
export function pageTokenFields(token: string): Record<string, unknown> {
  if (token.length > MAX_PAGE_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalidPageToken();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidPageToken();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidPageToken();
  return parsed as Record<string, unknown>;
}
