import { randomBytes } from 'node:crypto';
import {
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
} from 'jose';
import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';
import { Unauthorized } from '../errors.js';
import { nowMs } from '../model/clock.js';
import { findNamespaceById } from '../model/namespaces.js';
import { deleteExpiredServiceKeys, findServiceKey, publishServiceKey } from '../model/service-keys.js';
import { findRobot } from '../model/robots.js';
import { findUser } from '../model/users.js';
import { principalForUser } from './credentials.js';
import type { UserDirectory } from './directory.js';
import { type AccessGrant, ANONYMOUS, type Identity, type Principal, principalName, robotPrincipal } from './principal.js';
import type { RegistryTokens, VerifiedRegistryToken } from './tokens.js';
import { TtlCache } from './ttl-cache.js';

/** Quay's INSTANCE_SERVICE_KEY_SERVICE: the token issuer and the service_key rows' service. */
export const REGISTRY_TOKEN_ISSUER = 'quay';
const ALGORITHM = 'RS256';
const ANONYMOUS_SUBJECT = '(anonymous)';

const MINUTE_MS = 60_000;
const KEY_LIFETIME_MS = 120 * MINUTE_MS;
const KEY_RENEW_INTERVAL_MS = 55 * MINUTE_MS;
const KEY_CACHE_MS = MINUTE_MS;
const CLOCK_TOLERANCE_S = 30;
/** Re-verifying the same bearer token on every request of a pull costs an RSA check and a user lookup. */
const VERIFIED_TOKEN_CACHE_MS = 10_000;
const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

export interface RegistryTokenDeps {
  db: Kysely<Database>;
  config: QuaysideConfig;
  /** The external directory, so that its superusers stay superusers on bearer requests. */
  directory?: UserDirectory | undefined;
  /** How long a verified token is trusted without re-checking (default 10 s; 0 disables). */
  verifiedTokenCacheMs?: number;
  /** Told when renewing the published key fails (the next renewal retries). */
  log?: { warn(obj: object, msg: string): void };
}

export type RegistryTokenService = RegistryTokens & { close(): Promise<void> };

interface SignedContext {
  version: 2;
  entity_kind: 'user' | 'robot' | 'anonymous';
  entity_reference?: string;
  kind: 'user' | 'anonymous';
  user?: string;
  /** Present when the credential was an OAuth access token: its scopes. */
  oauth_scopes?: string[];
}

interface InstanceKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function generateInstanceKey(): Promise<InstanceKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { modulusLength: 2048 });
  const kid = randomBytes(16).toString('hex');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' };
  return { kid, privateKey, publicJwk };
}

/**
 * How long a published key stays valid after each renewal. At least Quay's two hours, and always
 * longer than a token lives, so tokens signed just before a replica dies still verify elsewhere.
 */
function keyLifetimeMs(config: QuaysideConfig): number {
  return Math.max(KEY_LIFETIME_MS, (config.TOKEN_VALIDITY_LIFETIME_S + CLOCK_TOLERANCE_S) * 1000 + MINUTE_MS);
}

async function publishKey(deps: RegistryTokenDeps, key: InstanceKey): Promise<void> {
  const published = { kid: key.kid, service: REGISTRY_TOKEN_ISSUER, jwk: JSON.stringify(key.publicJwk) };
  const now = nowMs();
  await publishServiceKey(deps.db, published, now, now + keyLifetimeMs(deps.config));
}

/** Public keys of every replica, by kid, read from service_key and remembered for a minute. */
class PublishedKeys {
  private readonly cache = new Map<string, { key: CryptoKey; until: number }>();

  constructor(private readonly db: Kysely<Database>) {}

  async get(kid: string): Promise<CryptoKey> {
    const now = nowMs();
    const cached = this.cache.get(kid);
    if (cached && cached.until > now) return cached.key;
    this.cache.delete(kid);
    const row = await findServiceKey(this.db, REGISTRY_TOKEN_ISSUER, kid);
    if (!row) throw new Unauthorized('token signed by an unknown key');
    const key = await importJWK(JSON.parse(row.jwk) as JWK, ALGORITHM);
    if (!isCryptoKey(key)) throw new Unauthorized('token signed by an unusable key');
    this.cache.set(kid, { key, until: Math.min(now + KEY_CACHE_MS, row.expires_at ?? Number.POSITIVE_INFINITY) });
    return key;
  }
}

function isCryptoKey(key: CryptoKey | Uint8Array): key is CryptoKey {
  return !(key instanceof Uint8Array);
}

async function signedContext(db: Kysely<Database>, principal: Principal): Promise<SignedContext> {
  if (principal.kind === 'anonymous') return { version: 2, entity_kind: 'anonymous', kind: 'anonymous' };
  const row = await findNamespaceById(db, principal.id);
  if (!row) throw new Unauthorized('unknown user');
  return { version: 2, entity_kind: principal.kind, entity_reference: row.uuid, kind: 'user', user: principal.name };
}

function verificationFailure(err: unknown): Unauthorized {
  if (err instanceof Unauthorized) return err;
  if (err instanceof joseErrors.JWTExpired) return new Unauthorized('token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) return new Unauthorized(`token claim "${err.claim}" is invalid`);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new Unauthorized('token signature is invalid');
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new Unauthorized('token algorithm is not allowed');
  return new Unauthorized('malformed token');
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function parseAccessClaim(value: unknown): AccessGrant[] {
  if (!Array.isArray(value)) throw new Unauthorized('token has no access claim');
  return value.map((entry: unknown) => {
    const grant = entry as Partial<Record<keyof AccessGrant, unknown>> | null;
    if (
      typeof grant !== 'object' ||
      grant === null ||
      typeof grant.type !== 'string' ||
      typeof grant.name !== 'string' ||
      !isStringArray(grant.actions)
    ) {
      throw new Unauthorized('token access claim is malformed');
    }
    return { type: grant.type, name: grant.name, actions: [...grant.actions] };
  });
}

/** The principal a verified token speaks for, as the database sees it now. */
async function tokenPrincipal(deps: RegistryTokenDeps, payload: JWTPayload): Promise<Principal> {
  if (payload.sub === ANONYMOUS_SUBJECT) return ANONYMOUS;
  const gone = new Unauthorized('token user no longer exists or is disabled');
  const context = payload['context'] as Partial<SignedContext> | undefined;
  if (payload.sub === undefined) throw gone;
  if (context?.entity_kind === 'robot') {
    const robot = await findRobot(deps.db, payload.sub);
    const row = robot?.enabled ? await findNamespaceById(deps.db, robot.id) : undefined;
    if (!robot || row?.uuid !== context.entity_reference) throw gone;
    return robotPrincipal(robot);
  }
  const user = await findUser(deps.db, payload.sub);
  if (user?.enabled !== 1) throw gone;
  // The name may have been deleted and taken again since the token was signed.
  if (context?.entity_kind !== 'user' || context.entity_reference !== user.uuid) throw gone;
  return principalForUser(deps, user);
}

/**
 * Starts this instance's registry token service: generates an RS256 key pair, publishes the public
 * key in service_key (so every replica can verify what this one signs) and keeps renewing it until
 * close().
 */
export async function createRegistryTokens(deps: RegistryTokenDeps): Promise<RegistryTokenService> {
  const key = await generateInstanceKey();
  await deleteExpiredServiceKeys(deps.db, REGISTRY_TOKEN_ISSUER);
  await publishKey(deps, key);
  const publishedKeys = new PublishedKeys(deps.db);
  const verifiedTokens = new TtlCache<VerifiedRegistryToken>(VERIFIED_TOKEN_CACHE_ENTRIES);

  const renewal = setInterval(() => {
    publishKey(deps, key).catch((err: unknown) => {
      deps.log?.warn({ kid: key.kid, err: (err as Error).message }, 'could not renew the registry token signing key');
    });
  }, KEY_RENEW_INTERVAL_MS);
  renewal.unref();

  return {
    keyId: key.kid,

    async issue(identity: Identity, access: AccessGrant[], audience: string): Promise<string> {
      const { principal } = identity;
      const context = await signedContext(deps.db, principal);
      if (identity.scopes) context.oauth_scopes = [...identity.scopes];
      const nowS = Math.floor(nowMs() / 1000);
      const header: JWTHeaderParameters = { alg: ALGORITHM, kid: key.kid, typ: 'JWT' };
      return new SignJWT({ access, context })
        .setProtectedHeader(header)
        .setIssuer(REGISTRY_TOKEN_ISSUER)
        .setAudience(audience)
        .setSubject(principalName(principal))
        .setIssuedAt(nowS)
        .setNotBefore(nowS)
        .setExpirationTime(nowS + deps.config.TOKEN_VALIDITY_LIFETIME_S)
        .sign(key.privateKey);
    },

    async verify(token: string, audience: string): Promise<VerifiedRegistryToken> {
      const cacheKey = `${audience}\0${token}`;
      const cached = verifiedTokens.get(cacheKey);
      if (cached) return cached;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(
          token,
          (header) => {
            if (!header.kid) throw new Unauthorized('token has no key id');
            return publishedKeys.get(header.kid);
          },
          {
            algorithms: [ALGORITHM],
            issuer: REGISTRY_TOKEN_ISSUER,
            audience,
            clockTolerance: CLOCK_TOLERANCE_S,
            requiredClaims: ['exp', 'nbf', 'iat', 'sub'],
          },
        ));
      } catch (err) {
        throw verificationFailure(err);
      }
      const verified: VerifiedRegistryToken = {
        principal: await tokenPrincipal(deps, payload),
        access: parseAccessClaim(payload['access']),
      };
      const scopes = (payload['context'] as Partial<SignedContext> | undefined)?.oauth_scopes;
      if (scopes !== undefined) verified.scopes = new Set(isStringArray(scopes) ? scopes : []);
      // payload.exp is required above; the short TTL bounds how long a disabled user's token still works.
      const cacheMs = deps.verifiedTokenCacheMs ?? VERIFIED_TOKEN_CACHE_MS;
      if (cacheMs > 0) verifiedTokens.set(cacheKey, verified, Math.min((payload.exp ?? 0) * 1000, nowMs() + cacheMs));
      return verified;
    },

    async close(): Promise<void> {
      clearInterval(renewal);
    },
  };
}
