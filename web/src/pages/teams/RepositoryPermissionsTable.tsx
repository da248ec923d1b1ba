import { SearchInput, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { PermissionSelect } from '../../components/PermissionSelect';
import type { PermissionChoice } from './teamsApi';

/** The organization's repositories, each with a Read / Write / Admin / None choice for one team. */
export function RepositoryPermissionsTable(props: {
  repositories: string[];
  choices: ReadonlyMap<string, PermissionChoice>;
  onChange(repository: string, choice: PermissionChoice): void;
}) {
  const [search, setSearch] = useState('');
  const shown = props.repositories.filter((name) => name.toLowerCase().includes(search.trim().toLowerCase()));
  if (props.repositories.length === 0) return <p>This organization has no repositories yet.</p>;
  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput
              aria-label="Search repositories"
              placeholder="Search repositories"
              value={search}
              onChange={(_e, value) => setSearch(value)}
              onClear={() => setSearch('')}
            />
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <Table aria-label="Repository permissions" variant="compact" data-testid="repository-permissions">
        <Thead>
          <Tr>
            <Th>Repository</Th>
            <Th>Permission</Th>
          </Tr>
        </Thead>
        <Tbody>
          {shown.map((repository) => (
            <Tr key={repository}>
              <Td dataLabel="Repository" className="qs-wrap-anywhere">
                {repository}
              </Td>
              <Td dataLabel="Permission">
                <PermissionSelect
                  allowNone
                  ariaLabel={`Permission on ${repository}`}
                  value={props.choices.get(repository) ?? 'none'}
                  onChange={(choice) => props.onChange(repository, choice)}
                />
              </Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
    </>
  );
}
