import type { AccessGrant, Identity, Principal } from './principal.js';

export interface VerifiedRegistryToken {
  principal: Principal;
  access: AccessGrant[];
  /** The OAuth scopes of the credential the token was issued for, which still cap listings. */
  scopes?: ReadonlySet<string>;
}

/** Mints and checks the RS256 registry bearer tokens of the Docker token flow (/v2/auth). */
export interface RegistryTokens {
  /** The kid of this instance's signing key, published in service_key. */
  readonly keyId: string;
  /** Signs a token for `identity` carrying exactly `access`, with `aud` = audience. */
  issue(identity: Identity, access: AccessGrant[], audience: string): Promise<string>;
  /** Verifies signature (any replica's published key), expiry, issuer and audience; throws Unauthorized. */
  verify(token: string, audience: string): Promise<VerifiedRegistryToken>;
}
