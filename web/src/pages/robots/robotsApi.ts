import { useQuery } from '@tanstack/react-query';
import { api, repoPath } from '../../api/client';
import type { RepositoryRole } from '../../components/PermissionSelect';

/**
 * The robot-account calls of the robots tab. An organization's robots live under
 * /api/v1/organization/{org}/robots, the signed-in user's under /api/v1/user/robots.
 */

export interface RobotScope {
  namespace: string;
  isOrganization: boolean;
}

/** A robot as GET …/robots?permissions=true&token=false lists it. */
export interface Robot {
  name: string;
  description?: string;
  created?: string | null;
  last_accessed?: string | null;
  teams?: { name: string }[];
  repositories?: string[];
}

export interface RobotCredentials {
  username: string;
  password: string;
  docker_login: string;
  podman_login: string;
  kubernetes_secret: string;
}

export interface RobotRepositoryPermission {
  repository: { name: string; is_public: boolean };
  role: RepositoryRole;
}

export interface NamespaceRepository {
  namespace: string;
  name: string;
  is_public: boolean;
}

/** Robot short names as Quayside accepts them: lower-case words joined by '.', '_' or '-'. */
export const ROBOT_SHORTNAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function robotsPath(scope: RobotScope): string {
  return scope.isOrganization ? `/api/v1/organization/${encodeURIComponent(scope.namespace)}/robots` : '/api/v1/user/robots';
}

export function robotPath(scope: RobotScope, shortname: string): string {
  return `${robotsPath(scope)}/${encodeURIComponent(shortname)}`;
}

/** "acme+builder" -> "builder". */
export function shortName(fullName: string): string {
  const plus = fullName.indexOf('+');
  return plus < 0 ? fullName : fullName.slice(plus + 1);
}

export function fullRobotName(scope: RobotScope, shortname: string): string {
  return `${scope.namespace}+${shortname}`;
}

export const robotKeys = {
  all: (scope: RobotScope) => ['robots', scope.namespace, scope.isOrganization] as const,
  list: (scope: RobotScope) => [...robotKeys.all(scope), 'list'] as const,
  permissions: (scope: RobotScope, shortname: string) => [...robotKeys.all(scope), 'permissions', shortname] as const,
  credentials: (scope: RobotScope, shortname: string) => [...robotKeys.all(scope), 'credentials', shortname] as const,
};

export function useRobots(scope: RobotScope) {
  return useQuery({
    queryKey: robotKeys.list(scope),
    queryFn: async () =>
      (await api<{ robots: Robot[] }>(robotsPath(scope), { query: { permissions: true, token: false } })).robots,
  });
}

export function useRobotPermissions(scope: RobotScope, shortname: string) {
  return useQuery({
    queryKey: robotKeys.permissions(scope, shortname),
    queryFn: async () =>
      (await api<{ permissions: RobotRepositoryPermission[] }>(`${robotPath(scope, shortname)}/permissions`)).permissions,
  });
}

export function useRobotCredentials(scope: RobotScope, shortname: string) {
  return useQuery({
    queryKey: robotKeys.credentials(scope, shortname),
    queryFn: () => api<RobotCredentials>(`${robotPath(scope, shortname)}/credentials`),
    // The token is a secret: kept only while the credentials dialog shows it.
    gcTime: 0,
  });
}

export function createRobot(scope: RobotScope, shortname: string, description: string) {
  return api<Robot>(robotPath(scope, shortname), { method: 'PUT', body: description ? { description } : {} });
}

export function deleteRobot(scope: RobotScope, shortname: string) {
  return api(robotPath(scope, shortname), { method: 'DELETE' });
}

export function regenerateRobotToken(scope: RobotScope, shortname: string) {
  return api<Robot & { token: string }>(`${robotPath(scope, shortname)}/regenerate`, { method: 'POST' });
}

export function addRobotToTeam(org: string, team: string, robotName: string) {
  return api(`/api/v1/organization/${encodeURIComponent(org)}/team/${encodeURIComponent(team)}/members/${encodeURIComponent(robotName)}`, {
    method: 'PUT',
  });
}

function repositoryPermissionPath(namespace: string, repository: string, robotName: string): string {
  return `/api/v1/repository/${repoPath(namespace, repository)}/permissions/user/${encodeURIComponent(robotName)}`;
}

export function setRepositoryPermission(namespace: string, repository: string, robotName: string, role: RepositoryRole) {
  return api(repositoryPermissionPath(namespace, repository, robotName), { method: 'PUT', body: { role } });
}

export function removeRepositoryPermission(namespace: string, repository: string, robotName: string) {
  return api(repositoryPermissionPath(namespace, repository, robotName), { method: 'DELETE' });
}
