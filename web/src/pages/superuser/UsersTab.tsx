import {
  Alert,
  Button,
  ClipboardCopy,
  FormGroup,
  Label,
  SearchInput,
  TextInput,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { ActionsColumn, type IAction, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { LoadError } from '../../components/LoadError';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { Loading } from '../../components/Loading';
import { useToasts } from '../../components/Toasts';
import { FormModal } from './FormModal';
import { type CreatedUser, type ManagedUser, useCreateUser, useDeleteUser, useManagedUsers, useUpdateUser } from './superuser-api';

function CreatedUserPassword({ created }: { created: CreatedUser }) {
  return (
    <>
      <Alert variant="success" isInline title={`Created user ${created.username}`}>
        Pass this temporary password on to them; it is not shown again.
      </Alert>
      <ClipboardCopy isReadOnly hoverTip="Copy" clickTip="Copied" data-testid="created-password">
        {created.password}
      </ClipboardCopy>
    </>
  );
}

function CreateUserModal({ isOpen, onClose }: { isOpen: boolean; onClose(): void }) {
  const create = useCreateUser();
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [created, setCreated] = useState<CreatedUser>();
  const close = () => {
    setUsername('');
    setEmail('');
    setCreated(undefined);
    // The mutation result holds the temporary password: forget it with the dialog.
    create.reset();
    onClose();
  };
  return (
    <FormModal
      title="Create user"
      isOpen={isOpen}
      submitLabel="Create user"
      canSubmit={username.trim() !== ''}
      onClose={close}
      onSubmit={async () => setCreated(await create.mutateAsync({ username: username.trim(), email: email.trim() }))}
      result={created && <CreatedUserPassword created={created} />}
    >
      <FormGroup label="Username" isRequired fieldId="new-user-name">
        <TextInput id="new-user-name" isRequired value={username} onChange={(_e, v) => setUsername(v)} />
      </FormGroup>
      <FormGroup label="E-mail address" fieldId="new-user-email">
        <TextInput id="new-user-email" type="email" value={email} onChange={(_e, v) => setEmail(v)} />
      </FormGroup>
    </FormModal>
  );
}

function ResetPasswordModal({ username, onClose }: { username: string | undefined; onClose(): void }) {
  const update = useUpdateUser();
  const toasts = useToasts();
  const [password, setPassword] = useState('');
  const close = () => {
    setPassword('');
    onClose();
  };
  return (
    <FormModal
      title={`Change password of ${username ?? ''}`}
      isOpen={username !== undefined}
      submitLabel="Change password"
      canSubmit={password !== ''}
      onClose={close}
      onSubmit={async () => {
        await update.mutateAsync({ username: username ?? '', password });
        toasts.success(`Changed the password of ${username}`);
        close();
      }}
    >
      <FormGroup label="New password" isRequired fieldId="reset-password">
        <TextInput id="reset-password" type="password" isRequired value={password} onChange={(_e, v) => setPassword(v)} />
      </FormGroup>
    </FormModal>
  );
}

function UserRow(props: { user: ManagedUser; onResetPassword(): void; onDelete(): void }) {
  const { user } = props;
  const update = useUpdateUser();
  const toasts = useToasts();
  const setEnabled = async (enabled: boolean) => {
    try {
      await update.mutateAsync({ username: user.username, enabled });
      toasts.success(`${enabled ? 'Enabled' : 'Disabled'} user ${user.username}`);
    } catch (err) {
      toasts.failure(`Could not ${enabled ? 'enable' : 'disable'} ${user.username}`, err);
    }
  };
  const actions: IAction[] = [
    user.enabled
      ? { title: 'Disable user', onClick: () => void setEnabled(false) }
      : { title: 'Enable user', onClick: () => void setEnabled(true) },
    { title: 'Change password', onClick: props.onResetPassword },
    { isSeparator: true },
    { title: 'Delete user', onClick: props.onDelete },
  ];
  return (
    <Tr data-testid={`user-row-${user.username}`}>
      <Td dataLabel="Username" className="qs-wrap-anywhere">
        {user.username}
      </Td>
      <Td dataLabel="E-mail" className="qs-wrap-anywhere">
        {user.email ?? '—'}
      </Td>
      <Td dataLabel="Status">
        {/* A wrapper keeps the label its own size when the table stacks on narrow screens. */}
        <div>{user.enabled ? <Label color="green">Enabled</Label> : <Label color="grey">Disabled</Label>}</div>
      </Td>
      <Td dataLabel="Superuser">
        <div>{user.super_user ? <Label color="purple">Superuser</Label> : '—'}</div>
      </Td>
      <Td isActionCell>
        {/* Superuser accounts are managed in config.yaml, not here. */}
        {!user.super_user && <ActionsColumn items={actions} />}
      </Td>
    </Tr>
  );
}

/** Every user account: create one with a generated password, disable, re-password, delete. */
export function UsersTab() {
  const users = useManagedUsers();
  const remove = useDeleteUser();
  const toasts = useToasts();
  const [search, setSearch] = useState('');
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<string>();
  const [deleting, setDeleting] = useState<string>();
  if (users.isPending) {
    return <Loading what="users" />;
  }
  if (users.isError) return <LoadError error={users.error} />;
  const needle = search.toLowerCase();
  const shown = users.data.filter((u) => u.username.toLowerCase().includes(needle) || (u.email ?? '').toLowerCase().includes(needle));
  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput aria-label="Filter users" placeholder="Filter by name or e-mail" value={search} onChange={(_e, v) => setSearch(v)} onClear={() => setSearch('')} />
          </ToolbarItem>
          <ToolbarItem>
            <Button onClick={() => setCreating(true)}>Create user</Button>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <Table aria-label="Users" data-testid="users-table">
        <Thead>
          <Tr>
            <Th>Username</Th>
            <Th>E-mail</Th>
            <Th>Status</Th>
            <Th>Superuser</Th>
            <Th screenReaderText="Actions" />
          </Tr>
        </Thead>
        <Tbody>
          {shown.map((user) => (
            <UserRow key={user.username} user={user} onResetPassword={() => setResetting(user.username)} onDelete={() => setDeleting(user.username)} />
          ))}
        </Tbody>
      </Table>
      <CreateUserModal isOpen={creating} onClose={() => setCreating(false)} />
      <ResetPasswordModal username={resetting} onClose={() => setResetting(undefined)} />
      <ConfirmDeleteModal
        title="Delete user"
        noun="users"
        items={deleting ? [deleting] : []}
        isOpen={deleting !== undefined}
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          try {
            await remove.mutateAsync(deleting ?? '');
            toasts.success(`Deleted user ${deleting}`);
          } catch (err) {
            toasts.failure(`Could not delete ${deleting}`, err);
          }
        }}
      />
    </>
  );
}
