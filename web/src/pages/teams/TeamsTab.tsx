import { Button, SearchInput, ToggleGroup, ToggleGroupItem, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core';
import { useState } from 'react';
import type { OrganizationTabProps } from '../../api/organization';
import { CreateTeamWizard } from './CreateTeamWizard';
import { CollaboratorsView, MembersView } from './MembersView';
import { TeamsView } from './TeamsView';

type View = 'teams' | 'members' | 'collaborators';

const VIEW_LABELS: Record<View, string> = { teams: 'Team View', members: 'Members View', collaborators: 'Collaborators View' };

/**
 * Teams and membership of an organization: its teams, the users in them, and the collaborators
 * outside them. Members and collaborators are listed for administrators only, as the API allows.
 */
export function TeamsTab({ org, organization }: OrganizationTabProps) {
  const isAdmin = organization.is_admin === true;
  const [view, setView] = useState<View>('teams');
  const [search, setSearch] = useState('');
  const [creating, setCreating] = useState(false);
  const views: View[] = isAdmin ? ['teams', 'members', 'collaborators'] : ['teams'];
  return (
    <>
      <Toolbar>
        <ToolbarContent>
          {views.length > 1 && (
            <ToolbarItem>
              <ToggleGroup aria-label="Teams and membership view">
                {views.map((candidate) => (
                  <ToggleGroupItem
                    key={candidate}
                    text={VIEW_LABELS[candidate]}
                    buttonId={`view-${candidate}`}
                    isSelected={view === candidate}
                    onChange={() => setView(candidate)}
                  />
                ))}
              </ToggleGroup>
            </ToolbarItem>
          )}
          <ToolbarItem>
            <SearchInput
              aria-label="Search by name"
              placeholder={view === 'teams' ? 'Search teams' : 'Search users'}
              value={search}
              onChange={(_e, value) => setSearch(value)}
              onClear={() => setSearch('')}
            />
          </ToolbarItem>
          {isAdmin && (
            <ToolbarItem>
              <Button variant="primary" onClick={() => setCreating(true)}>
                Create new team
              </Button>
            </ToolbarItem>
          )}
        </ToolbarContent>
      </Toolbar>
      {view === 'teams' && <TeamsView org={org} organization={organization} search={search} />}
      {view === 'members' && <MembersView org={org} search={search} />}
      {view === 'collaborators' && <CollaboratorsView org={org} search={search} />}
      {creating && (
        <CreateTeamWizard org={org} existingTeams={Object.keys(organization.teams ?? {})} onClose={() => setCreating(false)} />
      )}
    </>
  );
}
