import {
  Button,
  Content,
  Label,
  PageSection,
  ToggleGroup,
  ToggleGroupItem,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { ActionsColumn, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { useOrganization } from '../../api/organization';
import { LoadError } from '../../components/LoadError';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { useToasts } from '../../components/Toasts';
import { AddTeamMemberModal } from './AddTeamMemberModal';
import { refreshTeams, removeTeamMember, TEAM_ROLE_LABELS, type TeamMember, type TeamRole, useTeamMembers, withdrawEmailInvite } from './teamsApi';

type MemberFilter = 'all' | 'members' | 'robots' | 'invited';

const FILTER_LABELS: Record<MemberFilter, string> = {
  all: 'All',
  members: 'Team members',
  robots: 'Robot accounts',
  invited: 'Invited',
};

function kindOf(member: TeamMember): Exclude<MemberFilter, 'all'> {
  if (member.invited) return 'invited';
  return member.is_robot ? 'robots' : 'members';
}

function displayName(member: TeamMember): string {
  return member.name ?? member.email ?? '';
}

function KindLabel({ member }: { member: TeamMember }) {
  if (member.invited) return <Label color="orange">{member.kind === 'invite' ? 'Invited by e-mail' : 'Invited'}</Label>;
  if (member.is_robot) return <Label color="purple">Robot account</Label>;
  return <Label color="blue">Team member</Label>;
}

/** "Manage team members": the team's users, robots and pending invitations, with add and remove. */
export function TeamPage() {
  const params = useParams();
  const org = params['org'] ?? '';
  const team = params['team'] ?? '';
  const members = useTeamMembers(org, team);
  const summary = useOrganization(org).data?.teams?.[team];
  const [filter, setFilter] = useState<MemberFilter>('all');
  const [adding, setAdding] = useState(false);

  return (
    <>
      <PageHeader
        crumbs={[
          { label: 'Organizations', to: '/organization' },
          { label: org, to: `/organization/${encodeURIComponent(org)}?tab=teams` },
          { label: team },
        ]}
        title={team}
        testId="team-title"
      >
        {summary && (
          <Content component="p" data-testid="team-summary">
            Team role: {TEAM_ROLE_LABELS[summary.role as TeamRole] ?? summary.role}
            {summary.description ? ` · ${summary.description}` : ''}
          </Content>
        )}
      </PageHeader>
      <PageSection>
        {members.isPending ? (
          <Loading what="team members" />
        ) : members.isError ? (
          <LoadError error={members.error} />
        ) : (
          <>
            <Toolbar>
              <ToolbarContent>
                <ToolbarItem>
                  <ToggleGroup isCompact aria-label="Show members">
                    {(Object.keys(FILTER_LABELS) as MemberFilter[]).map((candidate) => (
                      <ToggleGroupItem
                        key={candidate}
                        text={FILTER_LABELS[candidate]}
                        buttonId={`members-filter-${candidate}`}
                        isSelected={filter === candidate}
                        onChange={() => setFilter(candidate)}
                      />
                    ))}
                  </ToggleGroup>
                </ToolbarItem>
                {members.data.can_edit && (
                  <ToolbarItem>
                    <Button variant="primary" onClick={() => setAdding(true)}>
                      Add new member
                    </Button>
                  </ToolbarItem>
                )}
              </ToolbarContent>
            </Toolbar>
            <TeamMembersTable
              org={org}
              team={team}
              canEdit={members.data.can_edit}
              members={members.data.members.filter((m) => filter === 'all' || kindOf(m) === filter)}
            />
          </>
        )}
      </PageSection>
      {adding && <AddTeamMemberModal org={org} team={team} onClose={() => setAdding(false)} />}
    </>
  );
}

function TeamMembersTable(props: { org: string; team: string; canEdit: boolean; members: TeamMember[] }) {
  const { org, team } = props;
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const remove = async (member: TeamMember) => {
    const name = displayName(member);
    try {
      if (member.kind === 'invite') await withdrawEmailInvite(org, team, name);
      else await removeTeamMember(org, team, name);
      toasts.success(member.invited ? `Withdrew the invitation of ${name}` : `Removed ${name} from team ${team}`);
    } catch (err) {
      toasts.failure(`Could not remove ${name}`, err);
    }
    await refreshTeams(queryClient, org);
  };
  const sorted = [...props.members].sort((a, b) => displayName(a).localeCompare(displayName(b)));
  return (
    <Table aria-label="Team members" data-testid="team-members-table">
      <Thead>
        <Tr>
          <Th>Name</Th>
          <Th>Type</Th>
          {props.canEdit && <Th screenReaderText="Actions" />}
        </Tr>
      </Thead>
      <Tbody>
        {sorted.length === 0 && (
          <Tr>
            <Td colSpan={3}>Nobody to show.</Td>
          </Tr>
        )}
        {sorted.map((member) => (
          <Tr key={`${member.kind}:${displayName(member)}`} data-testid={`team-member-${displayName(member)}`}>
            <Td dataLabel="Name" className="qs-wrap-anywhere">
              {displayName(member)}
            </Td>
            <Td dataLabel="Type">
              <KindLabel member={member} />
            </Td>
            {props.canEdit && (
              <Td isActionCell>
                <ActionsColumn
                  popperProps={{ position: 'right' }}
                  items={[
                    {
                      title: member.invited ? 'Withdraw invitation' : 'Remove from team',
                      onClick: () => remove(member),
                      isDanger: true,
                    },
                  ]}
                />
              </Td>
            )}
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}
