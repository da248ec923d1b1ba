import { Alert, Button, Form, FormGroup, List, ListItem, Modal, ModalBody, ModalFooter, ModalHeader, SearchInput, TextInput } from '@patternfly/react-core';
import { useState } from 'react';
import { errorText } from '../api/client';

/**
 * The v2 UI's destructive confirmation: the items about to go (searchable when there are many),
 * and a box where the user types "confirm" before Delete is enabled.
 */
export function ConfirmDeleteModal(props: {
  title: string;
  items: string[];
  isOpen: boolean;
  onClose(): void;
  onConfirm(): Promise<void> | void;
  /** What is being deleted, e.g. "organizations" (used in the text). */
  noun?: string;
}) {
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  const shown = props.items.filter((item) => item.toLowerCase().includes(search.toLowerCase()));
  const close = () => {
    setTyped('');
    setSearch('');
    setFailure(undefined);
    props.onClose();
  };
  return (
    <Modal variant="small" isOpen={props.isOpen} onClose={close} aria-labelledby="confirm-delete-title">
      <ModalHeader title={props.title} titleIconVariant="warning" labelId="confirm-delete-title" />
      <ModalBody>
        <p>
          This permanently deletes the following {props.noun ?? 'items'}. This cannot be undone.
        </p>
        {props.items.length > 1 && (
          <SearchInput
            aria-label="Search items to delete"
            placeholder="Search"
            value={search}
            onChange={(_e, value) => setSearch(value)}
            onClear={() => setSearch('')}
          />
        )}
        <List data-testid="delete-list">
          {shown.map((item) => (
            <ListItem key={item}>{item}</ListItem>
          ))}
        </List>
        {failure && <Alert variant="danger" isInline title={`Could not delete: ${failure}`} data-testid="delete-failure" />}
        <Form onSubmit={(e) => e.preventDefault()}>
          <FormGroup label='Type "confirm" to delete' fieldId="confirm-delete-input">
            <TextInput id="confirm-delete-input" aria-label="Type confirm" value={typed} onChange={(_e, v) => setTyped(v)} />
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button
          variant="danger"
          isDisabled={typed !== 'confirm' || busy}
          isLoading={busy}
          onClick={async () => {
            setBusy(true);
            setFailure(undefined);
            try {
              await props.onConfirm();
              close();
            } catch (err) {
              setFailure(errorText(err));
            } finally {
              setBusy(false);
            }
          }}
        >
          Delete
        </Button>
        <Button variant="link" onClick={close}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
