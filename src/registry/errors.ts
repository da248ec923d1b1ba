import type { FastifyReply } from 'fastify';
import {
  Conflict,
  Denied,
  DomainError,
  Invalid,
  MethodNotAllowed,
  NotFound,
  ReadOnly,
  RegistryReadOnly,
  TooLarge,
  TooManyRequests,
  Unauthorized,
  Unsupported,
} from '../errors.js';

/** The error codes of the OCI Distribution Spec, plus the Docker-era codes clients still know. */
export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS';

export interface OciError {
  status: number;
  code: OciErrorCode;
  message: string;
  detail?: unknown;
}

const NOT_FOUND_CODES: Record<NotFound['what'], OciErrorCode> = {
  blob: 'BLOB_UNKNOWN',
  manifest: 'MANIFEST_UNKNOWN',
  tag: 'MANIFEST_UNKNOWN',
  repository: 'NAME_UNKNOWN',
  namespace: 'NAME_UNKNOWN',
  user: 'NAME_UNKNOWN',
  upload: 'BLOB_UPLOAD_UNKNOWN',
  robot: 'NAME_UNKNOWN',
  team: 'NAME_UNKNOWN',
  member: 'NAME_UNKNOWN',
  permission: 'NAME_UNKNOWN',
  prototype: 'NAME_UNKNOWN',
  token: 'NAME_UNKNOWN',
  application: 'NAME_UNKNOWN',
  invite: 'NAME_UNKNOWN',
};

const INVALID_CODES: Record<Invalid['what'], { status: number; code: OciErrorCode }> = {
  digest: { status: 400, code: 'DIGEST_INVALID' },
  manifest: { status: 400, code: 'MANIFEST_INVALID' },
  manifest_blob: { status: 400, code: 'MANIFEST_BLOB_UNKNOWN' },
  name: { status: 400, code: 'NAME_INVALID' },
  tag: { status: 400, code: 'MANIFEST_INVALID' },
  size: { status: 400, code: 'SIZE_INVALID' },
  range: { status: 416, code: 'BLOB_UPLOAD_INVALID' },
  upload: { status: 400, code: 'BLOB_UPLOAD_INVALID' },
  input: { status: 400, code: 'UNSUPPORTED' },
};

/** Maps a domain error to the OCI error it is reported as; anything unknown is a 500. */
export function toOciError(err: unknown): OciError {
  if (err instanceof NotFound) return { status: 404, code: NOT_FOUND_CODES[err.what], message: err.message };
  if (err instanceof Invalid) return { ...INVALID_CODES[err.what], message: err.message, detail: err.detail };
  if (err instanceof Unauthorized) return { status: 401, code: 'UNAUTHORIZED', message: err.message };
  if (err instanceof Denied) return { status: 403, code: 'DENIED', message: err.message };
  if (err instanceof MethodNotAllowed) return { status: 405, code: 'UNSUPPORTED', message: err.message };
  if (err instanceof RegistryReadOnly) return { status: 405, code: 'DENIED', message: err.message };
  if (err instanceof ReadOnly) return { status: 405, code: 'UNSUPPORTED', message: err.message };
  if (err instanceof Unsupported) return { status: 415, code: 'UNSUPPORTED', message: err.message };
  if (err instanceof Conflict) return { status: 409, code: 'DENIED', message: err.message };
  if (err instanceof TooManyRequests) return { status: 429, code: 'TOOMANYREQUESTS', message: err.message };
  if (err instanceof TooLarge) return { status: 413, code: 'SIZE_INVALID', message: err.message };
  if (err instanceof DomainError) return { status: 400, code: 'UNSUPPORTED', message: err.message };
  return { status: 500, code: 'UNSUPPORTED', message: 'internal server error' };
}

export function ociErrorBody(error: OciError): { errors: Array<{ code: string; message: string; detail?: unknown }> } {
  const entry: { code: string; message: string; detail?: unknown } = { code: error.code, message: error.message };
  if (error.detail !== undefined) entry.detail = error.detail;
  return { errors: [entry] };
}

export function sendOciError(reply: FastifyReply, error: OciError): FastifyReply {
  return reply.code(error.status).type('application/json').send(ociErrorBody(error));
}
