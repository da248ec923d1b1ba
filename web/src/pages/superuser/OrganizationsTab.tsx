import { FormGroup, SearchInput, TextInput, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core';
import { ActionsColumn, type IAction, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { Link } from 'react-router';
import { LoadError } from '../../components/LoadError';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { Loading } from '../../components/Loading';
import { useToasts } from '../../components/Toasts';
import { FormModal } from './FormModal';
import { type ManagedOrganization, useDeleteOrganization, useManagedOrganizations, useRenameOrganization, useTakeOwnership } from './superuser-api';

function RenameOrganizationModal({ name, onClose }: { name: string | undefined; onClose(): void }) {
  const rename = useRenameOrganization();
  const toasts = useToasts();
  const [newName, setNewName] = useState('');
  const close = () => {
    setNewName('');
    onClose();
  };
  return (
    <FormModal
      title={`Rename ${name ?? ''}`}
      isOpen={name !== undefined}
      submitLabel="Rename"
      canSubmit={newName.trim() !== '' && newName.trim() !== name}
      onClose={close}
      onSubmit={async () => {
        await rename.mutateAsync({ name: name ?? '', newName: newName.trim() });
        toasts.success(`Renamed ${name} to ${newName.trim()}`);
        close();
      }}
    >
      <FormGroup label="New name" isRequired fieldId="rename-organization">
        <TextInput id="rename-organization" isRequired value={newName} onChange={(_e, v) => setNewName(v)} />
      </FormGroup>
    </FormModal>
  );
}

function OrganizationRow(props: { organization: ManagedOrganization; onRename(): void; onDelete(): void }) {
  const { name } = props.organization;
  const takeOwnership = useTakeOwnership();
  const toasts = useToasts();
  const take = async () => {
    try {
      await takeOwnership.mutateAsync(name);
      toasts.success(`You are now an administrator of ${name}`);
    } catch (err) {
      toasts.failure(`Could not take ownership of ${name}`, err);
    }
  };
  const actions: IAction[] = [
    { title: 'Rename organization', onClick: props.onRename },
    { title: 'Take ownership', onClick: () => void take() },
    { isSeparator: true },
    { title: 'Delete organization', onClick: props.onDelete },
  ];
  return (
    <Tr data-testid={`organization-row-${name}`}>
      <Td dataLabel="Name" className="qs-wrap-anywhere">
        <Link to={`/organization/${encodeURIComponent(name)}`}>{name}</Link>
      </Td>
      <Td dataLabel="E-mail" className="qs-wrap-anywhere">
        {props.organization.email || '—'}
      </Td>
      <Td isActionCell>
        <ActionsColumn items={actions} />
      </Td>
    </Tr>
  );
}

/** Every organization: rename, take ownership of, or delete one. */
export function OrganizationsTab() {
  const organizations = useManagedOrganizations();
  const remove = useDeleteOrganization();
  const toasts = useToasts();
  const [search, setSearch] = useState('');
  const [renaming, setRenaming] = useState<string>();
  const [deleting, setDeleting] = useState<string>();
  if (organizations.isPending) {
    return <Loading what="organizations" />;
  }
  if (organizations.isError) return <LoadError error={organizations.error} />;
  const shown = organizations.data.filter((o) => o.name.toLowerCase().includes(search.toLowerCase()));
  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput aria-label="Filter organizations" placeholder="Filter by name" value={search} onChange={(_e, v) => setSearch(v)} onClear={() => setSearch('')} />
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <Table aria-label="Organizations" data-testid="organizations-table">
        <Thead>
          <Tr>
            <Th>Name</Th>
            <Th>E-mail</Th>
            <Th screenReaderText="Actions" />
          </Tr>
        </Thead>
        <Tbody>
          {shown.length === 0 && (
            <Tr>
              <Td colSpan={3}>No organizations.</Td>
            </Tr>
          )}
          {shown.map((organization) => (
            <OrganizationRow
              key={organization.name}
              organization={organization}
              onRename={() => setRenaming(organization.name)}
              onDelete={() => setDeleting(organization.name)}
            />
          ))}
        </Tbody>
      </Table>
      <RenameOrganizationModal name={renaming} onClose={() => setRenaming(undefined)} />
      <ConfirmDeleteModal
        title="Delete organization"
        noun="organizations and all their repositories"
        items={deleting ? [deleting] : []}
        isOpen={deleting !== undefined}
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          try {
            await remove.mutateAsync(deleting ?? '');
            toasts.success(`Deleted organization ${deleting}`);
          } catch (err) {
            toasts.failure(`Could not delete ${deleting}`, err);
          }
        }}
      />
    </>
  );
}
