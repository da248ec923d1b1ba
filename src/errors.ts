/**
 * Typed domain errors thrown by model/, auth/ and storage/. Each HTTP surface maps them to its own
 * error format in exactly one place (registry/errors.ts for OCI JSON, api/errors.ts for Quay JSON).
 */

export type MissingThing =
  | 'blob'
  | 'manifest'
  | 'repository'
  | 'upload'
  | 'tag'
  | 'namespace'
  | 'user'
  | 'robot'
  | 'team'
  | 'member'
  | 'permission'
  | 'prototype'
  | 'token'
  | 'application'
  | 'invite';
export type InvalidThing =
  | 'digest'
  | 'manifest'
  | 'manifest_blob'
  | 'name'
  | 'tag'
  | 'size'
  | 'range'
  | 'upload'
  | 'input';

export abstract class DomainError extends Error {
  abstract readonly kind: string;
  constructor(
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFound extends DomainError {
  readonly kind = 'not_found';
  constructor(
    readonly what: MissingThing,
    message: string,
    detail?: unknown,
  ) {
    super(message, detail);
  }
}

export class Invalid extends DomainError {
  readonly kind = 'invalid';
  constructor(
    readonly what: InvalidThing,
    message: string,
    detail?: unknown,
  ) {
    super(message, detail);
  }
}

/** Credentials missing or wrong. */
export class Unauthorized extends DomainError {
  readonly kind = 'unauthorized';
}

/** A signed-in session must confirm the password again before this change (Quay's fresh login). */
export class FreshLoginRequired extends DomainError {
  readonly kind = 'fresh_login_required';
}

/** Authenticated (or anonymous) but not allowed. */
export class Denied extends DomainError {
  readonly kind = 'denied';
}

export class Unsupported extends DomainError {
  readonly kind = 'unsupported';
}

export class Conflict extends DomainError {
  readonly kind = 'conflict';
}

/** REGISTRY_STATE readonly, DISABLE_PUSHES, or a repository whose state forbids writes. */
export class ReadOnly extends DomainError {
  readonly kind: string = 'read_only';
}

/** Quay's words for every write refused while REGISTRY_STATE is readonly. */
export const READ_ONLY_MESSAGE =
  'System is currently read-only. Pulls will succeed but all write operations are currently suspended.';

/** The whole registry is in read-only mode (REGISTRY_STATE: readonly). */
export class RegistryReadOnly extends ReadOnly {
  override readonly kind = 'registry_read_only';
  constructor() {
    super(READ_ONLY_MESSAGE);
  }
}

export class TooManyRequests extends DomainError {
  readonly kind = 'too_many_requests';
}

/** The request body is larger than the configured limit (MAXIMUM_LAYER_SIZE, manifest limit). */
export class TooLarge extends DomainError {
  readonly kind = 'too_large';
}

/** The endpoint exists but not for this HTTP method. */
export class MethodNotAllowed extends DomainError {
  readonly kind = 'method_not_allowed';
}
