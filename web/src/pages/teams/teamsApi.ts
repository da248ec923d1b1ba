import { type QueryClient, useQuery } from '@tanstack/react-query';
import { namespaceRepositoriesQuery } from '../../api/repositories';
import { runEach } from '../../api/bulk';
import { api, errorText } from '../../api/client';
import { organizationQueryKey } from '../../api/organization';
import type { RepositoryRole } from '../../components/PermissionSelect';

/** The team, member and invitation calls of the teams pages (Quay's team.py and organization.py). */

export type TeamRole = 'member' | 'creator' | 'admin';
export const TEAM_ROLES: TeamRole[] = ['member', 'creator', 'admin'];
export const TEAM_ROLE_LABELS: Record<TeamRole, string> = { member: 'Member', creator: 'Creator', admin: 'Admin' };

/** A repository permission as the UI edits it: a role, or none at all. */
export type PermissionChoice = RepositoryRole | 'none';

/** One row of GET …/team/{team}/members?includePending=true. */
export interface TeamMember {
  name?: string;
  email?: string;
  kind: 'user' | 'invite';
  is_robot?: boolean;
  invited: boolean;
}

export interface TeamMembers {
  name: string;
  members: TeamMember[];
  can_edit: boolean;
}

/** One user of GET /organization/{org}/members. */
export interface OrganizationMember {
  name: string;
  kind: 'user' | 'robot';
  teams: { name: string }[];
  repositories: string[];
}

/** One user of GET /organization/{org}/collaborators. */
export interface Collaborator {
  name: string;
  repositories: string[];
}

const TEAM_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Why `name` cannot be a team name (the server's rule), or undefined when it can. */
export function teamNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'Enter a team name.';
  if (name.length < 2 || name.length > 255 || !TEAM_NAME.test(name)) {
    return 'Use 2-255 lower-case letters and digits, separated by single . _ or - characters.';
  }
  return undefined;
}

function orgPath(org: string): string {
  return `/api/v1/organization/${encodeURIComponent(org)}`;
}

function teamPath(org: string, team: string): string {
  return `${orgPath(org)}/team/${encodeURIComponent(team)}`;
}

function teamPermissionPath(org: string, repository: string, team: string): string {
  return `/api/v1/repository/${encodeURIComponent(org)}/${encodeURIComponent(repository)}/permissions/team/${encodeURIComponent(team)}`;
}

const teamsKey = (org: string) => ['teams', org] as const;

/** Refreshes everything the teams pages show about `org` (team counts live in the organization). */
export async function refreshTeams(queryClient: QueryClient, org: string): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: teamsKey(org) }),
    queryClient.invalidateQueries({ queryKey: organizationQueryKey(org) }),
  ]);
}

// ---- reads ------------------------------------------------------------------------------------

export function useTeamMembers(org: string, team: string) {
  return useQuery({
    queryKey: [...teamsKey(org), 'team', team, 'members'],
    queryFn: () => api<TeamMembers>(`${teamPath(org, team)}/members`, { query: { includePending: true } }),
  });
}

/** The team's repository permissions, by repository name. */
export function useTeamPermissions(org: string, team: string) {
  return useQuery({
    queryKey: [...teamsKey(org), 'team', team, 'permissions'],
    queryFn: async () => {
      const body = await api<{ permissions: { repository: { name: string }; role: RepositoryRole }[] }>(
        `${teamPath(org, team)}/permissions`,
      );
      return new Map(body.permissions.map((p) => [p.repository.name, p.role]));
    },
  });
}

/** The names of every repository of the organization, sorted. */
export function useOrganizationRepositories(org: string) {
  return useQuery({ ...namespaceRepositoriesQuery(org), select: (repositories) => repositories.map((r) => r.name) });
}

export function useOrganizationMembers(org: string) {
  return useQuery({
    queryKey: [...teamsKey(org), 'members'],
    queryFn: async () => (await api<{ members: OrganizationMember[] }>(`${orgPath(org)}/members`)).members,
  });
}

export function useCollaborators(org: string) {
  return useQuery({
    queryKey: [...teamsKey(org), 'collaborators'],
    queryFn: async () => (await api<{ collaborators: Collaborator[] }>(`${orgPath(org)}/collaborators`)).collaborators,
  });
}

// ---- writes -----------------------------------------------------------------------------------

/** Creates the team, or changes its role and description. */
export function saveTeam(org: string, team: string, settings: { role: TeamRole; description: string }): Promise<unknown> {
  return api(teamPath(org, team), { method: 'PUT', body: settings });
}

export function deleteTeam(org: string, team: string): Promise<unknown> {
  return api(teamPath(org, team), { method: 'DELETE' });
}

/** Adds a user or robot; with mailing on, a user new to the organization is invited instead. */
export async function addTeamMember(org: string, team: string, member: string): Promise<{ invited: boolean }> {
  return api<{ invited: boolean }>(`${teamPath(org, team)}/members/${encodeURIComponent(member)}`, { method: 'PUT' });
}

/** Removes a member, or withdraws that user's pending invitation. */
export function removeTeamMember(org: string, team: string, member: string): Promise<unknown> {
  return api(`${teamPath(org, team)}/members/${encodeURIComponent(member)}`, { method: 'DELETE' });
}

export function inviteEmailToTeam(org: string, team: string, email: string): Promise<unknown> {
  return api(`${teamPath(org, team)}/invite/${encodeURIComponent(email)}`, { method: 'PUT' });
}

export function withdrawEmailInvite(org: string, team: string, email: string): Promise<unknown> {
  return api(`${teamPath(org, team)}/invite/${encodeURIComponent(email)}`, { method: 'DELETE' });
}

/**
 * Writes the permissions in `wanted` that differ from `current`: a role is granted, 'none'
 * removes the team's permission. Returns the failures as "repository: message".
 */
export async function applyTeamPermissions(
  org: string,
  team: string,
  wanted: ReadonlyMap<string, PermissionChoice>,
  current: ReadonlyMap<string, RepositoryRole>,
): Promise<string[]> {
  const changes = [...wanted].filter(([repository, choice]) => choice !== (current.get(repository) ?? 'none'));
  const { failures } = await runEach(changes, ([repository, choice]) =>
    choice === 'none'
      ? api(teamPermissionPath(org, repository, team), { method: 'DELETE' })
      : api(teamPermissionPath(org, repository, team), { method: 'PUT', body: { role: choice } }),
  );
  return failures.map(({ item: [repository], error }) => `${repository}: ${errorText(error)}`);
}
