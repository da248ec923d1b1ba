import {
  Button,
  Dropdown,
  DropdownItem,
  DropdownList,
  EmptyState,
  EmptyStateBody,
  MenuToggle,
  PageSection,
  SearchInput,
  Spinner,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { ActionsColumn, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { Link } from 'react-router';
import { useOrganization } from '../../api/organization';
import { useCurrentUser } from '../../api/session';
import type { OrganizationSummary } from '../../api/types';
import { LoadError } from '../../components/LoadError';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { Loading } from '../../components/Loading';
import { useToasts } from '../../components/Toasts';
import { CreateOrganizationModal } from './CreateOrganizationModal';
import { labelledKebab } from './labelledKebab';
import { useDeleteOrganizations, useMemberCount, useRepositoryCount } from './organizationQueries';

/** The organizations the signed-in user belongs to: search, create, select and delete. */
export function OrganizationsListPage() {
  const user = useCurrentUser();
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [creating, setCreating] = useState(false);
  const [toDelete, setToDelete] = useState<string[]>([]);
  const deleteOrganizations = useDeleteOrganizations();
  const toasts = useToasts();

  if (user.isPending) {
    return <Loading what="organizations" />;
  }
  if (user.isError) return <LoadError error={user.error} />;

  const organizations = [...(user.data?.organizations ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const shown = organizations.filter((org) => org.name.toLowerCase().includes(search.trim().toLowerCase()));
  const selectedNames = organizations.filter((org) => selected.has(org.name)).map((org) => org.name);

  const confirmDelete = async () => {
    const { deleted, failed } = await deleteOrganizations.mutateAsync(toDelete);
    if (deleted.length > 0) {
      toasts.success(deleted.length === 1 ? `Deleted organization ${deleted[0]}` : `Deleted ${deleted.length} organizations`);
    }
    for (const failure of failed) toasts.failure(`Could not delete organization ${failure.name}`, failure.error);
    setSelected((current) => new Set([...current].filter((name) => !deleted.includes(name))));
  };

  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Organizations</Title>
      </PageSection>
      <PageSection>
        <OrganizationsToolbar
          search={search}
          onSearch={setSearch}
          selectedCount={selectedNames.length}
          onCreate={() => setCreating(true)}
          onDeleteSelected={() => setToDelete(selectedNames)}
        />
        {organizations.length === 0 ? (
          <EmptyState titleText="No organizations" headingLevel="h2" data-testid="organizations-empty">
            <EmptyStateBody>You are not a member of any organization yet. Create one to share repositories with a team.</EmptyStateBody>
          </EmptyState>
        ) : (
          <OrganizationsTable
            organizations={shown}
            selected={selected}
            onSelectionChange={setSelected}
            onDelete={(name) => setToDelete([name])}
          />
        )}
      </PageSection>
      <CreateOrganizationModal isOpen={creating} onClose={() => setCreating(false)} />
      <ConfirmDeleteModal
        title={toDelete.length === 1 ? 'Delete organization?' : `Delete ${toDelete.length} organizations?`}
        noun="organizations"
        items={toDelete}
        isOpen={toDelete.length > 0}
        onClose={() => setToDelete([])}
        onConfirm={confirmDelete}
      />
    </>
  );
}

function OrganizationsToolbar(props: {
  search: string;
  onSearch(text: string): void;
  selectedCount: number;
  onCreate(): void;
  onDeleteSelected(): void;
}) {
  const [actionsOpen, setActionsOpen] = useState(false);
  return (
    <Toolbar>
      <ToolbarContent>
        <ToolbarItem>
          <SearchInput
            aria-label="Search organizations by name"
            placeholder="Search by name"
            value={props.search}
            onChange={(_e, value) => props.onSearch(value)}
            onClear={() => props.onSearch('')}
          />
        </ToolbarItem>
        <ToolbarItem>
          <Button variant="primary" onClick={props.onCreate}>
            Create Organization
          </Button>
        </ToolbarItem>
        <ToolbarItem>
          <Dropdown
            isOpen={actionsOpen}
            onOpenChange={setActionsOpen}
            onSelect={() => setActionsOpen(false)}
            toggle={(ref) => (
              <MenuToggle ref={ref} onClick={() => setActionsOpen((open) => !open)} isExpanded={actionsOpen}>
                More actions
              </MenuToggle>
            )}
          >
            <DropdownList>
              <DropdownItem key="delete" isDisabled={props.selectedCount === 0} onClick={props.onDeleteSelected}>
                Delete{props.selectedCount > 0 ? ` (${props.selectedCount})` : ''}
              </DropdownItem>
            </DropdownList>
          </Dropdown>
        </ToolbarItem>
      </ToolbarContent>
    </Toolbar>
  );
}

/** Only administrators may delete an organization, so only their rows can be selected. */
function OrganizationsTable(props: {
  organizations: OrganizationSummary[];
  selected: ReadonlySet<string>;
  onSelectionChange(selected: ReadonlySet<string>): void;
  onDelete(name: string): void;
}) {
  const selectable = props.organizations.filter((org) => org.is_org_admin === true).map((org) => org.name);
  const allSelected = selectable.length > 0 && selectable.every((name) => props.selected.has(name));
  const setSelected = (names: string[], isSelecting: boolean) => {
    const next = new Set(props.selected);
    for (const name of names) {
      if (isSelecting) next.add(name);
      else next.delete(name);
    }
    props.onSelectionChange(next);
  };
  if (props.organizations.length === 0) {
    return (
      <EmptyState titleText="No matching organizations" headingLevel="h2">
        <EmptyStateBody>No organization name contains the search text.</EmptyStateBody>
      </EmptyState>
    );
  }
  return (
    <Table aria-label="Organizations" variant="compact" data-testid="organizations-table">
      <Thead>
        <Tr>
          <Th
            aria-label="Select all organizations"
            select={{ isSelected: allSelected, onSelect: (_e, isSelecting) => setSelected(selectable, isSelecting) }}
          />
          <Th>Name</Th>
          <Th>Repositories</Th>
          <Th>Teams</Th>
          <Th>Members</Th>
          <Th screenReaderText="Actions" />
        </Tr>
      </Thead>
      <Tbody>
        {props.organizations.map((org, rowIndex) => (
          <OrganizationRow
            key={org.name}
            organization={org}
            rowIndex={rowIndex}
            isSelected={props.selected.has(org.name)}
            onSelect={(isSelecting) => setSelected([org.name], isSelecting)}
            onDelete={() => props.onDelete(org.name)}
          />
        ))}
      </Tbody>
    </Table>
  );
}

function OrganizationRow(props: {
  organization: OrganizationSummary;
  rowIndex: number;
  isSelected: boolean;
  onSelect(isSelecting: boolean): void;
  onDelete(): void;
}) {
  const { name } = props.organization;
  const isAdmin = props.organization.is_org_admin === true;
  return (
    <Tr data-testid={`organization-row-${name}`}>
      <Td
        select={{
          rowIndex: props.rowIndex,
          isSelected: props.isSelected,
          isDisabled: !isAdmin,
          onSelect: (_e, isSelecting) => props.onSelect(isSelecting),
        }}
      />
      <Td dataLabel="Name" className="qs-wrap-anywhere">
        <Link to={`/organization/${encodeURIComponent(name)}`}>{name}</Link>
      </Td>
      <Td dataLabel="Repositories">
        <RepositoryCountCell org={name} />
      </Td>
      <Td dataLabel="Teams">
        <TeamCountCell org={name} />
      </Td>
      <Td dataLabel="Members">
        <MemberCountCell org={name} isAdmin={isAdmin} />
      </Td>
      <Td isActionCell>
        <ActionsColumn
          actionsToggle={labelledKebab(`Actions for ${name}`)}
          items={[{ title: 'Delete', onClick: props.onDelete, isDisabled: !isAdmin }]}
        />
      </Td>
    </Tr>
  );
}

/** A number that is still loading, failed to load (with the reason on hover), or is not shown to this user. */
function CountText(props: { isPending: boolean; error: Error | null; value: string | undefined }) {
  if (props.error) return <span title={props.error.message}>—</span>;
  if (props.isPending) return <Spinner size="sm" aria-label="Loading" />;
  return <>{props.value ?? '—'}</>;
}

function RepositoryCountCell({ org }: { org: string }) {
  const count = useRepositoryCount(org);
  const value = count.data ? `${count.data.count}${count.data.more ? '+' : ''}` : undefined;
  return <CountText isPending={count.isPending} error={count.error} value={value} />;
}

function TeamCountCell({ org }: { org: string }) {
  const organization = useOrganization(org);
  const teams = organization.data?.teams;
  return <CountText isPending={organization.isPending} error={organization.error} value={teams ? String(Object.keys(teams).length) : undefined} />;
}

function MemberCountCell({ org, isAdmin }: { org: string; isAdmin: boolean }) {
  const members = useMemberCount(org, isAdmin);
  if (!isAdmin) return <>—</>;
  return <CountText isPending={members.isPending} error={members.error} value={members.data === undefined ? undefined : String(members.data)} />;
}
