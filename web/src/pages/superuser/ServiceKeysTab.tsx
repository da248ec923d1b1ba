import {
  Alert,
  Button,
  ClipboardCopy,
  DatePicker,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  Label,
  TextInput,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
  yyyyMMddFormat,
} from '@patternfly/react-core';
import { ActionsColumn, type IAction, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { LoadError } from '../../components/LoadError';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { Loading } from '../../components/Loading';
import { useToasts } from '../../components/Toasts';
import { formatDate, parseApiDate } from '../../format';
import { FormModal } from './FormModal';
import {
  type CreatedServiceKey,
  type ServiceKey,
  useApproveServiceKey,
  useCreateServiceKey,
  useDeleteServiceKey,
  useServiceKeys,
  useUpdateServiceKey,
} from './superuser-api';

const DATE_FIELD = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A YYYY-MM-DD field as the Unix second the day ends (local time), null when empty, undefined when unreadable. */
function expirationSeconds(day: string): number | null | undefined {
  if (day.trim() === '') return null;
  const match = DATE_FIELD.exec(day.trim());
  if (!match) return undefined;
  const end = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 59);
  return Number.isNaN(end.getTime()) ? undefined : Math.floor(end.getTime() / 1000);
}

function ExpirationField({ id, value, onChange }: { id: string; value: string; onChange(value: string): void }) {
  return (
    <FormGroup label="Expires on" fieldId={id}>
      <DatePicker
        id={id}
        aria-label="Expiration date"
        value={value}
        placeholder="YYYY-MM-DD"
        onChange={(_e, text) => onChange(text)}
        appendTo={() => document.body}
        validators={[(date) => (date.getTime() < Date.now() - 86_400_000 ? 'The date must not be in the past' : '')]}
      />
      <FormHelperText>
        <HelperText>
          <HelperTextItem>Empty: the key never expires.</HelperTextItem>
        </HelperText>
      </FormHelperText>
    </FormGroup>
  );
}

function CreatedKey({ created }: { created: CreatedServiceKey }) {
  return (
    <>
      <Alert variant="warning" isInline title={`Created service key ${created.name || created.kid}`}>
        Copy the private key now: Quayside does not keep it and cannot show it again.
      </Alert>
      <ClipboardCopy isReadOnly isCode variant="expansion" isExpanded hoverTip="Copy" clickTip="Copied" data-testid="created-private-key">
        {created.private_key}
      </ClipboardCopy>
    </>
  );
}

function CreateKeyModal({ isOpen, onClose }: { isOpen: boolean; onClose(): void }) {
  const create = useCreateServiceKey();
  const [service, setService] = useState('');
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<CreatedServiceKey>();
  const expiration = expirationSeconds(expires);
  const close = () => {
    setService('');
    setName('');
    setExpires('');
    setCreated(undefined);
    // The mutation result holds the private key: forget it with the dialog.
    create.reset();
    onClose();
  };
  return (
    <FormModal
      title="Create service key"
      isOpen={isOpen}
      submitLabel="Create key"
      canSubmit={service.trim() !== '' && expiration !== undefined}
      onClose={close}
      onSubmit={async () => setCreated(await create.mutateAsync({ service: service.trim(), name: name.trim(), expiration: expiration ?? null }))}
      result={created && <CreatedKey created={created} />}
    >
      <FormGroup label="Service" isRequired fieldId="new-key-service">
        <TextInput id="new-key-service" isRequired value={service} onChange={(_e, v) => setService(v)} />
        <FormHelperText>
          <HelperText>
            <HelperTextItem>Lower-case letters, digits and _.</HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
      <FormGroup label="Name" fieldId="new-key-name">
        <TextInput id="new-key-name" value={name} onChange={(_e, v) => setName(v)} />
      </FormGroup>
      <ExpirationField id="new-key-expires" value={expires} onChange={setExpires} />
    </FormModal>
  );
}

function EditKeyModal({ serviceKey, onClose }: { serviceKey: ServiceKey; onClose(): void }) {
  const update = useUpdateServiceKey();
  const toasts = useToasts();
  const current = parseApiDate(serviceKey.expiration_date);
  const [name, setName] = useState(serviceKey.name);
  const [expires, setExpires] = useState(current ? yyyyMMddFormat(current) : '');
  const expiration = expirationSeconds(expires);
  return (
    <FormModal
      title="Change service key"
      isOpen
      submitLabel="Save"
      canSubmit={expiration !== undefined}
      onClose={onClose}
      onSubmit={async () => {
        await update.mutateAsync({ kid: serviceKey.kid, name: name.trim(), expiration: expiration ?? null });
        toasts.success(`Changed service key ${name.trim() || serviceKey.kid}`);
        onClose();
      }}
    >
      <FormGroup label="Name" fieldId="edit-key-name">
        <TextInput id="edit-key-name" value={name} onChange={(_e, v) => setName(v)} />
      </FormGroup>
      <ExpirationField id="edit-key-expires" value={expires} onChange={setExpires} />
    </FormModal>
  );
}

function Approval({ serviceKey }: { serviceKey: ServiceKey }) {
  const approval = serviceKey.approval;
  if (!approval) return <Label color="orange">Awaiting approval</Label>;
  const by = approval.approver?.username;
  return <Label color="green">{by ? `Approved by ${by}` : 'Approved automatically'}</Label>;
}

function KeyRow(props: { serviceKey: ServiceKey; onEdit(): void; onDelete(): void }) {
  const { serviceKey } = props;
  const approve = useApproveServiceKey();
  const toasts = useToasts();
  const approveKey = async () => {
    try {
      await approve.mutateAsync(serviceKey.kid);
      toasts.success(`Approved service key ${serviceKey.name || serviceKey.kid}`);
    } catch (err) {
      toasts.failure('Could not approve the key', err);
    }
  };
  const actions: IAction[] = [
    ...(serviceKey.approval ? [] : [{ title: 'Approve key', onClick: () => void approveKey() }]),
    { title: 'Change name or expiration', onClick: props.onEdit },
    { isSeparator: true },
    { title: 'Delete key', onClick: props.onDelete },
  ];
  return (
    <Tr data-testid={`key-row-${serviceKey.kid}`}>
      <Td dataLabel="Name" className="qs-wrap-anywhere">
        {serviceKey.name || '(unnamed)'}
      </Td>
      <Td dataLabel="Service">{serviceKey.service}</Td>
      <Td dataLabel="Key ID" className="qs-wrap-anywhere">
        <code title={serviceKey.kid}>{serviceKey.kid.slice(0, 16)}…</code>
      </Td>
      <Td dataLabel="Created">{formatDate(serviceKey.created_date)}</Td>
      <Td dataLabel="Expires">{formatDate(serviceKey.expiration_date)}</Td>
      <Td dataLabel="Approval">
        <div>
          <Approval serviceKey={serviceKey} />
        </div>
      </Td>
      <Td isActionCell>
        <ActionsColumn items={actions} />
      </Td>
    </Tr>
  );
}

/** The keys other services sign with: create, approve, rename, re-date, delete. */
export function ServiceKeysTab() {
  const keys = useServiceKeys();
  const remove = useDeleteServiceKey();
  const toasts = useToasts();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<ServiceKey>();
  const [deleting, setDeleting] = useState<ServiceKey>();
  if (keys.isPending) {
    return <Loading what="service keys" />;
  }
  if (keys.isError) return <LoadError error={keys.error} />;
  const label = (key: ServiceKey) => (key.name ? `${key.name} (${key.kid})` : key.kid);
  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <Button onClick={() => setCreating(true)}>Create service key</Button>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <Table aria-label="Service keys" data-testid="keys-table">
        <Thead>
          <Tr>
            <Th>Name</Th>
            <Th>Service</Th>
            <Th>Key ID</Th>
            <Th>Created</Th>
            <Th>Expires</Th>
            <Th>Approval</Th>
            <Th screenReaderText="Actions" />
          </Tr>
        </Thead>
        <Tbody>
          {keys.data.length === 0 && (
            <Tr>
              <Td colSpan={7}>No service keys.</Td>
            </Tr>
          )}
          {keys.data.map((key) => (
            <KeyRow key={key.kid} serviceKey={key} onEdit={() => setEditing(key)} onDelete={() => setDeleting(key)} />
          ))}
        </Tbody>
      </Table>
      <CreateKeyModal isOpen={creating} onClose={() => setCreating(false)} />
      {editing && <EditKeyModal serviceKey={editing} onClose={() => setEditing(undefined)} />}
      <ConfirmDeleteModal
        title="Delete service key"
        noun="service keys (nothing they signed verifies any more)"
        items={deleting ? [label(deleting)] : []}
        isOpen={deleting !== undefined}
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          try {
            await remove.mutateAsync(deleting?.kid ?? '');
            toasts.success(`Deleted service key ${deleting ? label(deleting) : ''}`);
          } catch (err) {
            toasts.failure('Could not delete the key', err);
          }
        }}
      />
    </>
  );
}
