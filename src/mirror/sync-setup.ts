import type { Logger } from 'pino';
import { mayWriteMirror } from '../auth/authorize.js';
import { type Identity, robotPrincipal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { findNamespaceById } from '../model/namespaces.js';
import { type MirrorConfig, openMirrorCredentials } from '../model/repo-mirror.js';
import { findRepository, findRepositoryRefById, type RepositoryWithNamespace } from '../model/repositories.js';
import { findRobot, type Robot, revealRobotToken } from '../model/robots.js';
import { readExtraCaCerts } from '../net/extra-ca-certs.js';
import type { MirrorDestination } from './destination.js';
import { type ExternalReference, parseExternalReference } from './external-reference.js';
import { LocalDestination } from './local-destination.js';
import { openPushTarget, openRemoteRepository } from './registry-client.js';
import { RegistryDestination } from './registry-destination.js';
import type { RemoteEndpointOptions, RemoteRepository } from './remote.js';

/**
 * What a sync needs before it copies anything, taken from the mirror's configuration: the robot it
 * writes as (existing, enabled, allowed to push), the remote it reads, and where it writes. Every
 * problem here is the configuration's, reported as a SetupProblem with a message saying what to fix.
 */

export type MirrorSyncDeps = Pick<AppContext, 'db' | 'storage' | 'config' | 'secrets' | 'metrics' | 'usageLogs' | 'log'>;

const USER_AGENT = 'Quayside-repomirror';

/** A problem with the mirror's own configuration, found before the remote is contacted. */
export class SetupProblem extends Error {}

export interface MirrorRobot {
  robot: Robot;
  identity: Identity;
}

/** The mirror robot, which must exist, be enabled and be allowed to push to the repository. */
export async function mirrorRobot(deps: MirrorSyncDeps, config: MirrorConfig, repo: RepositoryWithNamespace): Promise<MirrorRobot> {
  if (config.robotId === null) throw new SetupProblem('no robot account is set for this mirror');
  const account = await findNamespaceById(deps.db, config.robotId);
  const robot = account && (await findRobot(deps.db, account.name));
  if (!robot) throw new SetupProblem('the mirror robot account no longer exists; choose another robot in the mirror settings');
  if (!robot.enabled) throw new SetupProblem(`the mirror robot account ${robot.name} is disabled`);
  const identity: Identity = { principal: robotPrincipal(robot) };
  if (!(await mayWriteMirror(deps, identity, repo))) {
    throw new SetupProblem(`the mirror robot account ${robot.name} may not write to ${repo.namespace_name}/${repo.name}; give it write permission`);
  }
  return { robot, identity };
}

function externalSource(config: MirrorConfig): ExternalReference {
  try {
    return parseExternalReference(config.externalReference);
  } catch (err) {
    throw new SetupProblem((err as Error).message);
  }
}

function remoteOptions(deps: MirrorSyncDeps, config: MirrorConfig, registry: string): RemoteEndpointOptions {
  const credentials = openMirrorCredentials(deps.secrets, config);
  if (config.sealedUsername !== null && credentials === undefined) {
    throw new SetupProblem('the stored registry credentials cannot be decrypted with this DATABASE_SECRET_KEY; enter them again');
  }
  return {
    registry,
    credentials,
    verifyTls: config.registryConfig.verify_tls,
    extraCaPems: readExtraCaCerts(deps.config.configDir),
    proxy: config.registryConfig.proxy,
    ssrfAllowedHosts: deps.config.SSRF_ALLOWED_HOSTS,
    requestTimeoutMs: config.skopeoTimeoutSeconds * 1000,
    userAgent: USER_AGENT,
  };
}

/** The remote repository the mirror follows. */
export function openMirrorSource(deps: MirrorSyncDeps, config: MirrorConfig): RemoteRepository {
  const source = externalSource(config);
  return openRemoteRepository(remoteOptions(deps, config, source.registry), source.repository);
}

/** Where the sync writes: directly, or through REPO_MIRROR_SERVER_HOSTNAME's /v2/ as the robot. */
export function openDestination(deps: MirrorSyncDeps, repo: RepositoryWithNamespace, robot: MirrorRobot, log: Logger): MirrorDestination {
  const host = deps.config.REPO_MIRROR_SERVER_HOSTNAME;
  if (host === undefined) return new LocalDestination(deps, repo, log);
  const target = openPushTarget(
    {
      registry: host,
      credentials: { username: robot.robot.name, password: revealRobotToken(deps.secrets, robot.robot) },
      verifyTls: deps.config.REPO_MIRROR_TLS_VERIFY,
      extraCaPems: readExtraCaCerts(deps.config.configDir),
      userAgent: USER_AGENT,
    },
    `${repo.namespace_name}/${repo.name}`,
  );
  return new RegistryDestination(deps, repo, target);
}

/** The claimed mirror's repository; undefined when it was deleted (or is being deleted). */
export async function claimedRepository(deps: MirrorSyncDeps, repositoryId: number): Promise<RepositoryWithNamespace | undefined> {
  const ref = await findRepositoryRefById(deps.db, repositoryId);
  return ref && findRepository(deps.db, ref);
}
