import {
  Button,
  EmptyState,
  EmptyStateBody,
  SearchInput,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { ActionsColumn, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import type { OrganizationTabProps } from '../../api/organization';
import { LoadError } from '../../components/LoadError';
import { Loading } from '../../components/Loading';
import { PermissionSelect } from '../../components/PermissionSelect';
import { useToasts } from '../../components/Toasts';
import { labelledKebab } from '../organizations/labelledKebab';
import { AccountName } from './AccountName';
import { CreateDefaultPermissionModal } from './CreateDefaultPermissionModal';
import { type Prototype, useChangePrototypeRole, useDeletePrototype, usePrototypes } from './prototypeQueries';

/** The organization's default permissions: list, search, create, change the role, delete. */
export function DefaultPermissionsTab({ org }: OrganizationTabProps) {
  const prototypes = usePrototypes(org);
  const [search, setSearch] = useState('');
  const [creating, setCreating] = useState(false);

  if (prototypes.isPending) {
    return <Loading what="default permissions" />;
  }
  if (prototypes.isError) return <LoadError error={prototypes.error} />;

  const needle = search.trim().toLowerCase();
  const shown = prototypes.data.filter((p) =>
    [p.activating_user?.name ?? 'anyone', p.delegate.name].some((name) => name.toLowerCase().includes(needle)),
  );

  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput
              aria-label="Search default permissions"
              placeholder="Search by name"
              value={search}
              onChange={(_e, value) => setSearch(value)}
              onClear={() => setSearch('')}
            />
          </ToolbarItem>
          <ToolbarItem>
            <Button variant="primary" onClick={() => setCreating(true)}>
              Create default permission
            </Button>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {prototypes.data.length === 0 ? (
        <EmptyState titleText="No default permissions" headingLevel="h2" data-testid="default-permissions-empty">
          <EmptyStateBody>
            New repositories of {org} give a role only to their creator. A default permission gives a user, robot or team a role on them
            too.
          </EmptyStateBody>
        </EmptyState>
      ) : (
        <PrototypesTable org={org} prototypes={shown} />
      )}
      <CreateDefaultPermissionModal org={org} isOpen={creating} onClose={() => setCreating(false)} />
    </>
  );
}

function PrototypesTable({ org, prototypes }: { org: string; prototypes: Prototype[] }) {
  if (prototypes.length === 0) {
    return (
      <EmptyState titleText="No matching default permissions" headingLevel="h2">
        <EmptyStateBody>No creator or account name contains the search text.</EmptyStateBody>
      </EmptyState>
    );
  }
  return (
    <Table aria-label="Default permissions" variant="compact" data-testid="default-permissions-table">
      <Thead>
        <Tr>
          <Th>Repository creator</Th>
          <Th>Applied to</Th>
          <Th>Permission</Th>
          <Th screenReaderText="Actions" />
        </Tr>
      </Thead>
      <Tbody>
        {prototypes.map((prototype) => (
          <PrototypeRow key={prototype.id} org={org} prototype={prototype} />
        ))}
      </Tbody>
    </Table>
  );
}

function PrototypeRow({ org, prototype }: { org: string; prototype: Prototype }) {
  const changeRole = useChangePrototypeRole(org);
  const remove = useDeletePrototype(org);
  const toasts = useToasts();
  const { delegate, activating_user: creator } = prototype;
  const creatorName = creator?.name ?? 'anyone';
  return (
    <Tr data-testid={`default-permission-${creatorName}-${delegate.name}`}>
      <Td dataLabel="Repository creator">{creator ? <AccountName account={creator} /> : 'Anyone'}</Td>
      <Td dataLabel="Applied to">
        <AccountName account={delegate} />
      </Td>
      <Td dataLabel="Permission">
        <PermissionSelect
          ariaLabel={`Permission of ${delegate.name} on repositories created by ${creatorName}`}
          value={prototype.role}
          isDisabled={changeRole.isPending}
          onChange={(role) => {
            if (role === 'none') return;
            changeRole.mutate(
              { id: prototype.id, role },
              {
                onSuccess: () => toasts.success(`${delegate.name} now gets ${role} on repositories created by ${creatorName}`),
                onError: (err) => toasts.failure('Could not change the default permission', err),
              },
            );
          }}
        />
      </Td>
      <Td isActionCell>
        <ActionsColumn
          actionsToggle={labelledKebab(`Actions for the default permission of ${delegate.name} for ${creatorName}`)}
          isDisabled={remove.isPending}
          items={[
            {
              title: 'Delete',
              onClick: () =>
                remove.mutate(prototype.id, {
                  onSuccess: () => toasts.success(`Deleted the default permission of ${delegate.name} for ${creatorName}`),
                  onError: (err) => toasts.failure('Could not delete the default permission', err),
                }),
            },
          ]}
        />
      </Td>
    </Tr>
  );
}
