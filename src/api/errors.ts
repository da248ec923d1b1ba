import type { FastifyReply } from 'fastify';
import { registryService } from '../net/public-host.js';
import type { QuaysideConfig } from '../config/load.js';
import {
  Conflict,
  Denied,
  DomainError,
  FreshLoginRequired,
  Invalid,
  NotFound,
  ReadOnly,
  TooLarge,
  TooManyRequests,
  Unauthorized,
} from '../errors.js';

/**
 * Quay API errors (endpoints/exception.py: an RFC 7807 problem document plus Quay's older
 * error_message/error_type keys). The error types are Quay's, plus `internal_error` for failures
 * that are not domain errors.
 */
type ApiErrorType =
  | 'external_service_timeout'
  | 'invalid_request'
  | 'invalid_response'
  | 'invalid_token'
  | 'expired_token'
  | 'insufficient_scope'
  | 'fresh_login_required'
  | 'exceeds_license'
  | 'not_found'
  | 'downstream_issue'
  | 'internal_error';

/** What each error type means, served at /api/v1/error/{type} (the `type` URL of every error). */
export const API_ERROR_DESCRIPTIONS: Readonly<Record<ApiErrorType, string>> = {
  external_service_timeout: 'A service this request depends on did not answer in time. Try again later.',
  invalid_request: 'The request is malformed or asks for something that cannot be done; the detail says what.',
  invalid_response: 'A service this request depends on answered with something that could not be understood.',
  invalid_token: 'The request carries no valid credentials: sign in, or send a valid access token.',
  expired_token: 'The access token of the request has expired: obtain a new one.',
  insufficient_scope: 'The caller is authenticated but lacks the permission or the token scope this request needs.',
  fresh_login_required: 'This operation needs a recent sign-in: sign in again (or verify the password) and retry.',
  exceeds_license: 'The request would exceed what the license of this registry allows.',
  not_found: 'The resource the request names does not exist, or is not visible to the caller.',
  downstream_issue: 'A service this request depends on failed.',
  internal_error: 'The server failed while handling the request; its log has the details.',
};

export function isApiErrorType(value: string): value is ApiErrorType {
  return Object.hasOwn(API_ERROR_DESCRIPTIONS, value);
}

export interface ApiError {
  status: number;
  type: ApiErrorType;
  message: string;
}

interface ApiErrorBody {
  detail: string;
  error_message: string;
  error_type: ApiErrorType;
  title: ApiErrorType;
  type: string;
  status: number;
}

/** Maps a domain error to the Quay API error it is reported as; anything unknown is a 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof NotFound) return { status: 404, type: 'not_found', message: err.message };
  // Quay reports taken names and other conflicts as invalid requests (400).
  if (err instanceof Invalid || err instanceof Conflict) return { status: 400, type: 'invalid_request', message: err.message };
  if (err instanceof FreshLoginRequired) return { status: 401, type: 'fresh_login_required', message: err.message };
  if (err instanceof Unauthorized) return { status: 401, type: 'invalid_token', message: err.message };
  if (err instanceof Denied) return { status: 403, type: 'insufficient_scope', message: err.message };
  // Quay answers writes in read-only mode, and to repositories not in NORMAL state, with 503.
  if (err instanceof ReadOnly) return { status: 503, type: 'invalid_request', message: err.message };
  if (err instanceof TooManyRequests) return { status: 429, type: 'invalid_request', message: err.message };
  if (err instanceof TooLarge) return { status: 413, type: 'invalid_request', message: err.message };
  if (err instanceof DomainError) return { status: 400, type: 'invalid_request', message: err.message };
  return { status: 500, type: 'internal_error', message: 'Internal Server Error' };
}

/** `<scheme>://<host>`, the base of the error type URLs Quay puts in its error documents. */
/** The registry's base URL for links: SERVER_HOSTNAME, else a valid Host header (see registryService). */
export function apiBaseUrl(config: QuaysideConfig, hostHeader: string | undefined): string {
  return `${config.PREFERRED_URL_SCHEME}://${registryService(config, hostHeader)}`;
}

export function apiErrorBody(error: ApiError, baseUrl: string): ApiErrorBody {
  return {
    detail: error.message,
    error_message: error.message,
    error_type: error.type,
    title: error.type,
    type: `${baseUrl}/api/v1/error/${error.type}`,
    status: error.status,
  };
}

/** Replies with the Quay API error for `err` (a domain error, or anything else as a 500). */
export function sendApiError(reply: FastifyReply, config: QuaysideConfig, err: unknown): FastifyReply {
  const error = toApiError(err);
  const body = apiErrorBody(error, apiBaseUrl(config, reply.request.headers.host));
  return reply.code(error.status).type('application/json').send(body);
}
