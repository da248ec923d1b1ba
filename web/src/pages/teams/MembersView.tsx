import { Alert, Label, LabelGroup, Spinner } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { Link } from 'react-router';
import { teamPagePath } from './TeamsView';
import { useCollaborators, useOrganizationMembers } from './teamsApi';

function matches(name: string, search: string): boolean {
  return name.toLowerCase().includes(search.trim().toLowerCase());
}

function RepositoryList(props: { repositories: string[] }) {
  if (props.repositories.length === 0) return <>None</>;
  return <span className="qs-wrap-anywhere">{props.repositories.join(', ')}</span>;
}

/** Members View: the users in the organization's teams, their teams and their direct repository permissions. */
export function MembersView(props: { org: string; search: string }) {
  const members = useOrganizationMembers(props.org);
  if (members.isPending) return <Spinner size="lg" aria-label="Loading members" />;
  if (members.isError) return <Alert variant="danger" isInline title={`Could not load members: ${members.error.message}`} />;
  const shown = members.data.filter((m) => matches(m.name, props.search)).sort((a, b) => a.name.localeCompare(b.name));
  return (
    <Table aria-label="Members" data-testid="members-table">
      <Thead>
        <Tr>
          <Th>Username</Th>
          <Th>Teams</Th>
          <Th>Direct repository permissions</Th>
        </Tr>
      </Thead>
      <Tbody>
        {shown.length === 0 && (
          <Tr>
            <Td colSpan={3}>No members.</Td>
          </Tr>
        )}
        {shown.map((member) => (
          <Tr key={member.name} data-testid={`member-row-${member.name}`}>
            <Td dataLabel="Username" className="qs-wrap-anywhere">
              {member.name}
            </Td>
            <Td dataLabel="Teams">
              <LabelGroup numLabels={5}>
                {member.teams.map((team) => (
                  <Label key={team.name} isClickable render={({ className, content }) => <Link className={className} to={teamPagePath(props.org, team.name)}>{content}</Link>}>
                    {team.name}
                  </Label>
                ))}
              </LabelGroup>
            </Td>
            <Td dataLabel="Direct repository permissions">
              <RepositoryList repositories={member.repositories} />
            </Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}

/** Collaborators View: users outside every team who hold permissions on the organization's repositories. */
export function CollaboratorsView(props: { org: string; search: string }) {
  const collaborators = useCollaborators(props.org);
  if (collaborators.isPending) return <Spinner size="lg" aria-label="Loading collaborators" />;
  if (collaborators.isError) {
    return <Alert variant="danger" isInline title={`Could not load collaborators: ${collaborators.error.message}`} />;
  }
  const shown = collaborators.data.filter((c) => matches(c.name, props.search)).sort((a, b) => a.name.localeCompare(b.name));
  return (
    <Table aria-label="Collaborators" data-testid="collaborators-table">
      <Thead>
        <Tr>
          <Th>Username</Th>
          <Th>Direct repository permissions</Th>
        </Tr>
      </Thead>
      <Tbody>
        {shown.length === 0 && (
          <Tr>
            <Td colSpan={2}>No collaborators: nobody outside the teams has permissions on this organization's repositories.</Td>
          </Tr>
        )}
        {shown.map((collaborator) => (
          <Tr key={collaborator.name} data-testid={`collaborator-row-${collaborator.name}`}>
            <Td dataLabel="Username" className="qs-wrap-anywhere">
              {collaborator.name}
            </Td>
            <Td dataLabel="Direct repository permissions">
              <RepositoryList repositories={collaborator.repositories} />
            </Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}
