/**
 * The WWW-Authenticate challenge of a registry (RFC 7235 syntax): `Basic realm="…"`, or the
 * Docker token scheme `Bearer realm="https://auth/token",service="registry",scope="…"`, whose realm
 * hands out tokens for repository scopes.
 */

export type Challenge = { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service: string | undefined };

// auth-param: token "=" ( token / quoted-string ), separated by commas.
const AUTH_PARAM = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/;
const SCHEME = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s+|$)/;

/** Each challenge of one header value: its scheme (lower case) and parameters (names lower case). */
function parseChallenges(value: string): { scheme: string; params: Map<string, string> }[] {
  const challenges: { scheme: string; params: Map<string, string> }[] = [];
  let rest = value;
  while (rest.trim() !== '') {
    const scheme = SCHEME.exec(rest);
    if (!scheme) break;
    rest = rest.slice(scheme[0].length);
    const params = new Map<string, string>();
    for (;;) {
      const param = AUTH_PARAM.exec(rest);
      if (!param) break;
      params.set(param[1]!.toLowerCase(), param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? ''));
      rest = rest.slice(param[0].length);
    }
    challenges.push({ scheme: scheme[1]!.toLowerCase(), params });
    rest = rest.replace(/^\s*,/, '');
  }
  return challenges;
}

/** The challenge to answer among the WWW-Authenticate headers: Bearer when offered (with an http(s) realm), else Basic. */
export function parseAuthenticate(header: string | string[] | undefined): Challenge | undefined {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const challenges = values.flatMap(parseChallenges);
  const bearer = challenges.find((c) => c.scheme === 'bearer' && /^https?:\/\//i.test(c.params.get('realm') ?? ''));
  if (bearer) return { scheme: 'bearer', realm: bearer.params.get('realm')!, service: bearer.params.get('service') };
  if (challenges.some((c) => c.scheme === 'basic')) return { scheme: 'basic' };
  return undefined;
}

/** The scope a token request asks for, e.g. `repository:library/busybox:pull`. */
export function repositoryScope(repository: string, actions: 'pull' | 'pull,push'): string {
  return `repository:${repository}:${actions}`;
}

/** The token endpoint's answer: `token`, or OAuth's `access_token`; undefined when neither is a non-empty string. */
export function tokenFromResponse(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ['token', 'access_token']) {
    const value = record[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}
