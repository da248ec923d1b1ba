import {
  Button,
  FormGroup,
  FormSelect,
  FormSelectOption,
  Label,
  TextArea,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { TrashIcon } from '@patternfly/react-icons';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { useGlobalMessages } from '../../api/session';
import type { GlobalMessage } from '../../api/types';
import { LoadError } from '../../components/LoadError';
import { Loading } from '../../components/Loading';
import { useToasts } from '../../components/Toasts';
import { FormModal } from './FormModal';
import { type MessageMediaType, type MessageSeverity, useCreateMessage, useDeleteMessage } from './superuser-api';

const SEVERITIES: { value: MessageSeverity; label: string }[] = [
  { value: 'info', label: 'Normal' },
  { value: 'warning', label: 'Warning' },
  { value: 'error', label: 'Error' },
];
const SEVERITY_COLOR = { info: 'blue', warning: 'orange', error: 'red' } as const;
const MEDIA_TYPES: { value: MessageMediaType; label: string }[] = [
  { value: 'text/plain', label: 'Plain text' },
  { value: 'text/markdown', label: 'Markdown' },
];

function CreateMessageModal({ isOpen, onClose }: { isOpen: boolean; onClose(): void }) {
  const create = useCreateMessage();
  const toasts = useToasts();
  const [content, setContent] = useState('');
  const [severity, setSeverity] = useState<MessageSeverity>('info');
  const [mediaType, setMediaType] = useState<MessageMediaType>('text/plain');
  const close = () => {
    setContent('');
    setSeverity('info');
    setMediaType('text/plain');
    onClose();
  };
  return (
    <FormModal
      title="Create global message"
      isOpen={isOpen}
      submitLabel="Create message"
      canSubmit={content.trim() !== ''}
      onClose={close}
      onSubmit={async () => {
        await create.mutateAsync({ content: content.trim(), severity, media_type: mediaType });
        toasts.success('Created the global message');
        close();
      }}
    >
      <FormGroup label="Severity" fieldId="message-severity">
        <FormSelect id="message-severity" value={severity} onChange={(_e, v) => setSeverity(v as MessageSeverity)}>
          {SEVERITIES.map((option) => (
            <FormSelectOption key={option.value} value={option.value} label={option.label} />
          ))}
        </FormSelect>
      </FormGroup>
      <FormGroup label="Format" fieldId="message-media-type">
        <FormSelect id="message-media-type" value={mediaType} onChange={(_e, v) => setMediaType(v as MessageMediaType)}>
          {MEDIA_TYPES.map((option) => (
            <FormSelectOption key={option.value} value={option.value} label={option.label} />
          ))}
        </FormSelect>
      </FormGroup>
      <FormGroup label="Message" isRequired fieldId="message-content">
        <TextArea id="message-content" isRequired value={content} onChange={(_e, v) => setContent(v)} resizeOrientation="vertical" />
      </FormGroup>
    </FormModal>
  );
}

function MessageRow({ message }: { message: GlobalMessage }) {
  const remove = useDeleteMessage();
  const toasts = useToasts();
  const severityLabel = SEVERITIES.find((s) => s.value === message.severity)?.label ?? message.severity;
  const deleteMessage = async () => {
    try {
      await remove.mutateAsync(message.uuid);
      toasts.success('Deleted the global message');
    } catch (err) {
      toasts.failure('Could not delete the message', err);
    }
  };
  return (
    <Tr data-testid="message-row">
      <Td dataLabel="Severity">
        <div>
          <Label color={SEVERITY_COLOR[message.severity] ?? 'blue'}>{severityLabel}</Label>
        </div>
      </Td>
      <Td dataLabel="Message" className="qs-wrap-anywhere">
        {message.content}
      </Td>
      <Td dataLabel="Format">{MEDIA_TYPES.find((m) => m.value === message.media_type)?.label ?? message.media_type}</Td>
      <Td isActionCell>
        <Button variant="plain" aria-label="Delete message" icon={<TrashIcon />} isDisabled={remove.isPending} onClick={() => void deleteMessage()} />
      </Td>
    </Tr>
  );
}

/** The banners every visitor sees: create and delete them. */
export function MessagesTab() {
  const messages = useGlobalMessages();
  const [creating, setCreating] = useState(false);
  if (messages.isPending) {
    return <Loading what="messages" />;
  }
  if (messages.isError) return <LoadError error={messages.error} />;
  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <Button onClick={() => setCreating(true)}>Create message</Button>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <Table aria-label="Global messages" data-testid="messages-table">
        <Thead>
          <Tr>
            <Th>Severity</Th>
            <Th>Message</Th>
            <Th>Format</Th>
            <Th screenReaderText="Actions" />
          </Tr>
        </Thead>
        <Tbody>
          {messages.data.length === 0 && (
            <Tr>
              <Td colSpan={4}>No global messages.</Td>
            </Tr>
          )}
          {messages.data.map((message) => (
            <MessageRow key={message.uuid} message={message} />
          ))}
        </Tbody>
      </Table>
      <CreateMessageModal isOpen={creating} onClose={() => setCreating(false)} />
    </>
  );
}
