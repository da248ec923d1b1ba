import { Button, Content, Flex, FlexItem, FormGroup, Label, Title } from '@patternfly/react-core';
import { TrashIcon } from '@patternfly/react-icons';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { LoadError } from '../../components/LoadError';
import { type Entity, EntityPicker } from '../../components/EntityPicker';
import { Loading } from '../../components/Loading';
import { PermissionSelect, type RepositoryRole } from '../../components/PermissionSelect';
import { useToasts } from '../../components/Toasts';
import { type HolderKind, type Permission, type RepositoryRef, useDeletePermission, usePermissions, useSetPermission } from './settingsApi';

function holderLabel(permission: Permission): string {
  if (permission.kind === 'team') return 'team';
  return permission.isRobot ? 'robot' : 'user';
}

function holderKind(entity: Entity): HolderKind {
  return entity.kind === 'team' ? 'team' : 'user';
}

/** Picks a user, robot or team and the role to grant it. */
function AddPermission(props: { repo: RepositoryRef; isOrganization: boolean }) {
  const [entity, setEntity] = useState<Entity>();
  const [role, setRole] = useState<RepositoryRole>('read');
  const grant = useSetPermission(props.repo);
  const toasts = useToasts();

  async function add(chosen: Entity) {
    try {
      await grant.mutateAsync({ kind: holderKind(chosen), name: chosen.name, role });
      toasts.success(`Gave ${chosen.name} ${role} permission`);
      setEntity(undefined);
    } catch (err) {
      toasts.failure(`Could not give ${chosen.name} permission`, err);
    }
  }

  return (
    <FormGroup label="Add permission" fieldId="add-permission-entity">
      <Flex alignItems={{ default: 'alignItemsCenter' }} spaceItems={{ default: 'spaceItemsSm' }}>
        <FlexItem grow={{ default: 'grow' }} style={{ minWidth: '14rem' }}>
          {entity ? (
            <Label onClose={() => setEntity(undefined)} data-testid="permission-entity">
              {entity.name}
            </Label>
          ) : (
            <EntityPicker
              id="add-permission-entity"
              namespace={props.repo.namespace}
              includeTeams={props.isOrganization}
              accept={(candidate) => candidate.kind !== 'org'}
              placeholder="Search for a user, robot or team"
              onSelect={setEntity}
            />
          )}
        </FlexItem>
        <FlexItem>
          <PermissionSelect id="add-permission-role" ariaLabel="Role to give" value={role} onChange={(next) => setRole(next as RepositoryRole)} />
        </FlexItem>
        <FlexItem>
          <Button isDisabled={!entity || grant.isPending} isLoading={grant.isPending} onClick={() => entity && void add(entity)}>
            Add permission
          </Button>
        </FlexItem>
      </Flex>
    </FormGroup>
  );
}

function PermissionRow(props: { repo: RepositoryRef; permission: Permission }) {
  const { permission } = props;
  const change = useSetPermission(props.repo);
  const remove = useDeletePermission(props.repo);
  const toasts = useToasts();

  async function setRole(role: RepositoryRole) {
    try {
      await change.mutateAsync({ kind: permission.kind, name: permission.name, role });
      toasts.success(`Changed ${permission.name} to ${role}`);
    } catch (err) {
      toasts.failure(`Could not change the permission of ${permission.name}`, err);
    }
  }

  async function deletePermission() {
    try {
      await remove.mutateAsync({ kind: permission.kind, name: permission.name });
      toasts.success(`Removed the permission of ${permission.name}`);
    } catch (err) {
      toasts.failure(`Could not remove the permission of ${permission.name}`, err);
    }
  }

  return (
    <Tr data-permission={`${permission.kind}:${permission.name}`}>
      <Td dataLabel="Name" className="qs-wrap-anywhere">
        {permission.name}
      </Td>
      <Td dataLabel="Type">{holderLabel(permission)}</Td>
      <Td dataLabel="Permission">
        <PermissionSelect
          ariaLabel={`Permission of ${permission.name}`}
          value={permission.role}
          isDisabled={change.isPending}
          onChange={(role) => void setRole(role as RepositoryRole)}
        />
      </Td>
      <Td isActionCell>
        <Button variant="plain" aria-label={`Remove permission of ${permission.name}`} isDisabled={remove.isPending} onClick={() => void deletePermission()}>
          <TrashIcon />
        </Button>
      </Td>
    </Tr>
  );
}

/** "User and robot permissions": who holds which role on the repository. */
export function PermissionsSection(props: { repo: RepositoryRef; isOrganization: boolean }) {
  const permissions = usePermissions(props.repo, props.isOrganization);
  return (
    <section data-testid="settings-permissions">
      <Title headingLevel="h2">User and robot permissions</Title>
      <Content component="p">
        {props.isOrganization ? 'The users, robot accounts and teams' : 'The users and robot accounts'} that may read, write or administer this repository.
      </Content>
      <AddPermission repo={props.repo} isOrganization={props.isOrganization} />
      {permissions.isPending && (
        <Loading what="permissions" />
      )}
      {permissions.isError && <LoadError error={permissions.error} />}
      {permissions.data && (
        <Table aria-label="Permissions" variant="compact" data-testid="permissions-table">
          <Thead>
            <Tr>
              <Th>Name</Th>
              <Th>Type</Th>
              <Th>Permission</Th>
              <Th screenReaderText="Actions" />
            </Tr>
          </Thead>
          <Tbody>
            {permissions.data.length === 0 ? (
              <Tr>
                <Td colSpan={4}>Nobody has been given a permission on this repository.</Td>
              </Tr>
            ) : (
              permissions.data.map((permission) => (
                <PermissionRow key={`${permission.kind}:${permission.name}`} repo={props.repo} permission={permission} />
              ))
            )}
          </Tbody>
        </Table>
      )}
    </section>
  );
}
