/**
 * Ready-to-paste ways of using a robot account's credentials: the login commands of docker and
 * podman, a ~/.docker/config.json entry, and a Kubernetes image pull secret. Quay's web UI builds
 * these in the browser; Quayside serves them so that any client can show them. Pure text building.
 */

export interface RobotCredentialsInput {
  /** The robot's full name, `owner+short`. */
  username: string;
  token: string;
  /** The registry's host (and port) as clients address it, e.g. `quay.example.com:8443`. */
  registryHost: string;
}

/** The `auths` document of ~/.docker/config.json (and of a dockerconfigjson Secret). */
export interface DockerConfigJson {
  auths: Record<string, { auth: string; email: string }>;
}

export interface RobotCredentials {
  username: string;
  password: string;
  docker_login: string;
  podman_login: string;
  docker_config_json: DockerConfigJson;
  kubernetes_secret: string;
}

// Longest name Kubernetes accepts for a Secret (a DNS subdomain).
const KUBERNETES_NAME_MAX = 253;
const PULL_SECRET_SUFFIX = '-pull-secret';

/** Quotes one word for POSIX shells; words made only of safe characters stay as they are. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

function loginCommand(client: 'docker' | 'podman', input: RobotCredentialsInput): string {
  return [client, 'login', '-u', shellQuote(input.username), '-p', shellQuote(input.token), shellQuote(input.registryHost)].join(' ');
}

export function dockerConfigJson(input: RobotCredentialsInput): DockerConfigJson {
  const auth = Buffer.from(`${input.username}:${input.token}`, 'utf8').toString('base64');
  return { auths: { [input.registryHost]: { auth, email: '' } } };
}

/**
 * `<owner>-<short>-pull-secret`, made into a valid Kubernetes object name: lower case, with every
 * character other than letters, digits, '-' and '.' turned into '-', at most 253 characters.
 */
export function pullSecretName(username: string): string {
  const base = username
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, KUBERNETES_NAME_MAX - PULL_SECRET_SUFFIX.length)
    .replace(/[^a-z0-9]+$/, '');
  return `${base || 'robot'}${PULL_SECRET_SUFFIX}`;
}

/** A Secret of type kubernetes.io/dockerconfigjson that lets a cluster pull as the robot. */
export function kubernetesPullSecret(input: RobotCredentialsInput): string {
  const encoded = Buffer.from(JSON.stringify(dockerConfigJson(input)), 'utf8').toString('base64');
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${pullSecretName(input.username)}`,
    'type: kubernetes.io/dockerconfigjson',
    'data:',
    `  .dockerconfigjson: ${encoded}`,
    '',
  ].join('\n');
}

export function robotCredentials(input: RobotCredentialsInput): RobotCredentials {
  return {
    username: input.username,
    password: input.token,
    docker_login: loginCommand('docker', input),
    podman_login: loginCommand('podman', input),
    docker_config_json: dockerConfigJson(input),
    kubernetes_secret: kubernetesPullSecret(input),
  };
}
