import type { AccessGrant, Principal } from './principal.js';

export interface VerifiedRegistryToken {
  principal: Principal;
  access: AccessGrant[];
}

/** Mints and checks the RS256 registry bearer tokens of the Docker token flow (/v2/auth). */
export interface RegistryTokens {
  /** Signs a token for `principal` carrying exactly `access`, with `aud` = audience. */
  issue(principal: Principal, access: AccessGrant[], audience: string): Promise<string>;
  /** Verifies signature (any replica's published key), expiry, issuer and audience; throws Unauthorized. */
  verify(token: string, audience: string): Promise<VerifiedRegistryToken>;
}
