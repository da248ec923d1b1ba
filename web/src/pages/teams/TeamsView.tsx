import { FormSelect, FormSelectOption } from '@patternfly/react-core';
import { ActionsColumn, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { OrganizationView } from '../../api/organization';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { useToasts } from '../../components/Toasts';
import { TeamPermissionsModal } from './TeamPermissionsModal';
import { deleteTeam, refreshTeams, saveTeam, TEAM_ROLE_LABELS, TEAM_ROLES, type TeamRole } from './teamsApi';

type TeamSummary = NonNullable<OrganizationView['teams']>[string] & { can_view?: boolean };

export function teamPagePath(org: string, team: string): string {
  return `/organization/${encodeURIComponent(org)}/teams/${encodeURIComponent(team)}`;
}

/** Team View: each team with its member and repository counts and its role in the organization. */
export function TeamsView(props: { org: string; organization: OrganizationView; search: string }) {
  const { org } = props;
  const isAdmin = props.organization.is_admin === true;
  const [permissionsOf, setPermissionsOf] = useState<string>();
  const [deleting, setDeleting] = useState<string>();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const teams = Object.values(props.organization.teams ?? {})
    .filter((team) => team.name.toLowerCase().includes(props.search.trim().toLowerCase()))
    .sort((a, b) => a.name.localeCompare(b.name)) as TeamSummary[];

  const remove = async (team: string) => {
    try {
      await deleteTeam(org, team);
      toasts.success(`Deleted team ${team}`);
    } catch (err) {
      toasts.failure(`Could not delete team ${team}`, err);
    }
    await refreshTeams(queryClient, org);
  };

  return (
    <>
      <Table aria-label="Teams" data-testid="teams-table">
        <Thead>
          <Tr>
            <Th>Team name</Th>
            <Th>Members</Th>
            <Th>Repositories</Th>
            <Th>Team role</Th>
            {isAdmin && <Th screenReaderText="Actions" />}
          </Tr>
        </Thead>
        <Tbody>
          {teams.length === 0 && (
            <Tr>
              <Td colSpan={5}>{props.search ? 'No teams match the search.' : 'This organization has no teams.'}</Td>
            </Tr>
          )}
          {teams.map((team) => (
            <TeamRow key={team.name} org={org} team={team} isAdmin={isAdmin} onPermissions={setPermissionsOf} onDelete={setDeleting} />
          ))}
        </Tbody>
      </Table>
      {permissionsOf && <TeamPermissionsModal org={org} team={permissionsOf} onClose={() => setPermissionsOf(undefined)} />}
      <ConfirmDeleteModal
        title="Delete team?"
        noun="teams"
        items={deleting ? [deleting] : []}
        isOpen={deleting !== undefined}
        onClose={() => setDeleting(undefined)}
        onConfirm={() => (deleting ? remove(deleting) : undefined)}
      />
    </>
  );
}

function TeamRow(props: {
  org: string;
  team: TeamSummary;
  isAdmin: boolean;
  onPermissions(team: string): void;
  onDelete(team: string): void;
}) {
  const { org, team } = props;
  const navigate = useNavigate();
  const canView = props.isAdmin || team.can_view === true;
  return (
    <Tr data-testid={`team-row-${team.name}`}>
      <Td dataLabel="Team name" className="qs-wrap-anywhere">
        {canView ? <Link to={teamPagePath(org, team.name)}>{team.name}</Link> : team.name}
      </Td>
      <Td dataLabel="Members" data-testid="team-member-count">
        {team.member_count}
      </Td>
      <Td dataLabel="Repositories" data-testid="team-repo-count">
        {team.repo_count ?? 0}
      </Td>
      <Td dataLabel="Team role">
        {props.isAdmin ? <TeamRoleSelect org={org} team={team} /> : TEAM_ROLE_LABELS[team.role as TeamRole] ?? team.role}
      </Td>
      {props.isAdmin && (
        <Td isActionCell>
          <ActionsColumn
            popperProps={{ position: 'right' }}
            items={[
              { title: 'Manage team members', onClick: () => navigate(teamPagePath(org, team.name)) },
              { title: 'Set repository permissions', onClick: () => props.onPermissions(team.name) },
              { isSeparator: true },
              { title: 'Delete', onClick: () => props.onDelete(team.name), isDanger: true },
            ]}
          />
        </Td>
      )}
    </Tr>
  );
}

function TeamRoleSelect(props: { org: string; team: TeamSummary }) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const change = async (role: TeamRole) => {
    setBusy(true);
    try {
      await saveTeam(props.org, props.team.name, { role, description: props.team.description ?? '' });
      toasts.success(`Team ${props.team.name} is now ${TEAM_ROLE_LABELS[role]}`);
    } catch (err) {
      toasts.failure(`Could not change the role of ${props.team.name}`, err);
    }
    await refreshTeams(queryClient, props.org);
    setBusy(false);
  };
  return (
    <FormSelect
      value={props.team.role}
      isDisabled={busy}
      aria-label={`Role of team ${props.team.name}`}
      onChange={(_e, value) => change(value as TeamRole)}
    >
      {TEAM_ROLES.map((role) => (
        <FormSelectOption key={role} value={role} label={TEAM_ROLE_LABELS[role]} />
      ))}
    </FormSelect>
  );
}
