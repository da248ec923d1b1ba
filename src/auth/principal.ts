/** Who is making a request, after credentials have been checked. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; id: number; name: string; superuser: boolean };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** One entry of a registry token's `access` claim. */
export interface AccessGrant {
  type: string;
  name: string;
  actions: string[];
}

export interface Actor {
  principal: Principal;
  /**
   * Present when the request carried a registry bearer token: the token's `access` claim, which
   * bounds what this request may do regardless of the principal's wider rights.
   */
  tokenAccess?: AccessGrant[];
}

export function principalName(principal: Principal): string {
  return principal.kind === 'user' ? principal.name : '(anonymous)';
}
