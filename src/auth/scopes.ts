import { Invalid } from '../errors.js';

/**
 * Scopes of the Docker token flow (`/v2/auth?scope=...`):
 *   repository:<[host/]name>:<action>[,<action>...]
 *   registry:catalog:*
 */

export interface RepositoryScope {
  type: 'repository';
  /** The repository path exactly as requested, without a leading `<our host>/`. */
  name: string;
  actions: string[];
}

export interface CatalogScope {
  type: 'registry';
  name: 'catalog';
  actions: ['*'];
}

export type TokenScope = RepositoryScope | CatalogScope;

const ACTION = /^(?:[a-z]+|\*)$/;

function malformed(scope: string, why: string): Invalid {
  return new Invalid('input', `unable to parse scope "${scope}": ${why}`);
}

function stripOwnHost(name: string, serverHostname: string | undefined): string {
  if (!serverHostname) return name;
  const prefix = `${serverHostname}/`;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

function parseActions(scope: string, text: string): string[] {
  const actions = text.split(',');
  if (actions.some((a) => !ACTION.test(a))) throw malformed(scope, 'actions must be a comma-separated list');
  return [...new Set(actions)];
}

/**
 * Parses one scope. The repository name keeps whatever it had except our own host prefix; whether it
 * is a valid repository path is for the caller to decide. Throws Invalid for anything unparseable,
 * including resource classes such as `repository(plugin)`.
 */
export function parseScope(scope: string, serverHostname?: string): TokenScope {
  const firstColon = scope.indexOf(':');
  const lastColon = scope.lastIndexOf(':');
  // The name sits between the first and last colon: it may itself contain one (host:port/ns/repo).
  if (firstColon < 0 || lastColon === firstColon) throw malformed(scope, 'expected type:name:actions');
  const type = scope.slice(0, firstColon);
  const name = scope.slice(firstColon + 1, lastColon);
  const actionsText = scope.slice(lastColon + 1);

  if (type === 'registry') {
    if (name === 'catalog' && actionsText === '*') return { type: 'registry', name: 'catalog', actions: ['*'] };
    throw malformed(scope, 'the only registry scope is registry:catalog:*');
  }
  if (type !== 'repository') throw malformed(scope, `unsupported resource type "${type}"`);
  const repository = stripOwnHost(name, serverHostname);
  if (repository.length === 0) throw malformed(scope, 'empty repository name');
  return { type: 'repository', name: repository, actions: parseActions(scope, actionsText) };
}

/**
 * Parses the `scope` query parameter: it may be repeated, and one value may hold several scopes
 * separated by spaces. Empty values are ignored.
 */
export function parseScopeParams(values: string | readonly string[] | undefined, serverHostname?: string): TokenScope[] {
  const list = values === undefined ? [] : typeof values === 'string' ? [values] : values;
  return list
    .flatMap((value) => value.split(' '))
    .filter((scope) => scope.length > 0)
    .map((scope) => parseScope(scope, serverHostname));
}
