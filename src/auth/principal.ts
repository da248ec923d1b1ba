/** Who is making a request, after credentials have been checked. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; id: number; name: string; superuser: boolean }
  /** A robot account `owner+short`, owned by a user or an organization. */
  | { kind: 'robot'; id: number; name: string; ownerId: number };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** The principal of a robot account. */
export function robotPrincipal(robot: { id: number; name: string; ownerId: number }): Principal {
  return { kind: 'robot', id: robot.id, name: robot.name, ownerId: robot.ownerId };
}

/** How the caller proved who they are; the label of quay_authentication_attempts_total's auth_kind. */
export type CredentialKind =
  | 'anonymous'
  | 'basic'
  | 'ldap'
  | 'robot'
  | 'app_token'
  | 'oauth_token'
  | 'session'
  | 'registry_jwt';

/** One entry of a registry token's `access` claim. */
export interface AccessGrant {
  type: string;
  name: string;
  actions: string[];
}

/** A principal together with what bounds its rights on this request. */
export interface Identity {
  principal: Principal;
  /**
   * Present when the caller authenticated with an OAuth access token: its scopes cap what the
   * principal may do (repo:read allows no writes even to the user's own repositories).
   */
  scopes?: ReadonlySet<string>;
}

export interface Actor extends Identity {
  /**
   * Present when the request carried a registry bearer token: the token's `access` claim, which
   * bounds what this request may do regardless of the principal's wider rights.
   */
  tokenAccess?: AccessGrant[];
  credential?: CredentialKind;
}

export function principalName(principal: Principal): string {
  return principal.kind === 'anonymous' ? '(anonymous)' : principal.name;
}

/** The performer of a usage-log entry: the acting user or robot, none for anonymous callers. */
export function performerId(principal: Principal): number | null {
  return principal.kind === 'anonymous' ? null : principal.id;
}

/** The caller's name, which Quay writes into many log entries' metadata; null for anonymous callers. */
export function performerName(principal: Principal): string | null {
  return principal.kind === 'anonymous' ? null : principal.name;
}
