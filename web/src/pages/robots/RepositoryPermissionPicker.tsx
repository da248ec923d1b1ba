import { SearchInput, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { PermissionSelect, type RepositoryRole } from '../../components/PermissionSelect';
import type { NamespaceRepository } from './robotsApi';

const ROLE_LABELS: Record<RepositoryRole, string> = { read: 'Read', write: 'Write', admin: 'Admin' };

/**
 * The namespace's repositories with checkboxes and one permission for all checked ones; used by the
 * create wizard and by "Set repository permissions" (which also shows what the robot has now).
 */
export function RepositoryPermissionPicker<Role extends RepositoryRole | 'none'>(props: {
  repositories: NamespaceRepository[];
  selected: ReadonlySet<string>;
  onSelectedChange(selected: Set<string>): void;
  role: Role;
  onRoleChange(role: Role): void;
  allowNone?: boolean;
  currentRoles?: ReadonlyMap<string, RepositoryRole>;
}) {
  const [filter, setFilter] = useState('');
  const shown = props.repositories.filter((repo) => repo.name.toLowerCase().includes(filter.trim().toLowerCase()));
  const allShownSelected = shown.length > 0 && shown.every((repo) => props.selected.has(repo.name));
  const toggle = (names: string[], on: boolean) => {
    const next = new Set(props.selected);
    for (const name of names) {
      if (on) next.add(name);
      else next.delete(name);
    }
    props.onSelectedChange(next);
  };
  return (
    <>
      <Toolbar inset={{ default: 'insetNone' }}>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput
              aria-label="Filter repositories"
              placeholder="Filter repositories"
              value={filter}
              onChange={(_e, value) => setFilter(value)}
              onClear={() => setFilter('')}
            />
          </ToolbarItem>
          <ToolbarItem>
            <PermissionSelect
              id="robot-bulk-permission"
              ariaLabel="Permission for the selected repositories"
              value={props.role}
              allowNone={props.allowNone}
              onChange={(role) => props.onRoleChange(role as Role)}
            />
          </ToolbarItem>
          <ToolbarItem alignSelf="center">{props.selected.size} selected</ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {props.repositories.length === 0 ? (
        <p>This namespace has no repositories yet.</p>
      ) : (
        <Table aria-label="Repositories" variant="compact" data-testid="robot-repository-picker">
          <Thead>
            <Tr>
              <Th
                select={{ isSelected: allShownSelected, onSelect: (_e, on) => toggle(shown.map((repo) => repo.name), on) }}
                aria-label="Select all shown repositories"
              />
              <Th>Repository</Th>
              {props.currentRoles && <Th>Current permission</Th>}
            </Tr>
          </Thead>
          <Tbody>
            {shown.map((repo, rowIndex) => {
              const current = props.currentRoles?.get(repo.name);
              return (
                <Tr key={repo.name} data-testid={`picker-row-${repo.name}`}>
                  <Td
                    select={{ rowIndex, isSelected: props.selected.has(repo.name), onSelect: (_e, on) => toggle([repo.name], on) }}
                  />
                  <Td dataLabel="Repository" className="qs-wrap-anywhere">
                    {repo.name}
                  </Td>
                  {props.currentRoles && (
                    <Td dataLabel="Current permission" data-testid="current-permission">
                      {current ? ROLE_LABELS[current] : 'None'}
                    </Td>
                  )}
                </Tr>
              );
            })}
          </Tbody>
        </Table>
      )}
    </>
  );
}
