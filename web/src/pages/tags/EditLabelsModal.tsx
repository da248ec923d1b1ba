import {
  Button,
  Content,
  Flex,
  FlexItem,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  Label,
  LabelGroup,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  Spinner,
  TextInput,
} from '@patternfly/react-core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { runEach } from '../../api/bulk';
import { repoTagsKey, type TagView } from '../../api/tags';
import { LoadError } from '../../components/LoadError';
import { useToasts } from '../../components/Toasts';
import { addLabel, deleteLabel, type LabelView, useManifestLabels } from './tagsApi';

const INVALID_FORMAT = 'Invalid label format: write the key and the value separated by =, e.g. key=value';

interface NewLabel {
  key: string;
  value: string;
}

/** `key=value` (the value may itself contain "="), or undefined when the text is not in that form. */
export function parseLabel(text: string): NewLabel | undefined {
  const separator = text.indexOf('=');
  if (separator <= 0) return undefined;
  const key = text.slice(0, separator).trim();
  const value = text.slice(separator + 1).trim();
  return key && value ? { key, value } : undefined;
}

function NewLabelInput(props: { onAdd(label: NewLabel): void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const add = () => {
    const label = parseLabel(text);
    if (!label) {
      setError(INVALID_FORMAT);
      return;
    }
    props.onAdd(label);
    setText('');
    setError(undefined);
  };
  return (
    <FormGroup label="Add new label" fieldId="new-label">
      <Flex gap={{ default: 'gapSm' }} flexWrap={{ default: 'nowrap' }}>
        <FlexItem grow={{ default: 'grow' }}>
          <TextInput
            id="new-label"
            placeholder="key=value"
            value={text}
            validated={error ? 'error' : 'default'}
            onChange={(_e, value) => setText(value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                add();
              }
            }}
          />
        </FlexItem>
        <FlexItem>
          <Button variant="secondary" onClick={add}>
            Add
          </Button>
        </FlexItem>
      </Flex>
      {error && (
        <FormHelperText>
          <HelperText>
            <HelperTextItem variant="error" data-testid="label-error">
              {error}
            </HelperTextItem>
          </HelperText>
        </FormHelperText>
      )}
    </FormGroup>
  );
}

function LabelEditor(props: { tag: TagView; labels: LabelView[]; namespace: string; name: string; onClose(): void }) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [removed, setRemoved] = useState<Set<string>>(new Set());
  const [added, setAdded] = useState<NewLabel[]>([]);
  const [busy, setBusy] = useState(false);
  const kept = props.labels.filter((label) => !removed.has(label.id));
  const digest = props.tag.manifest_digest;

  const save = async () => {
    setBusy(true);
    const deletions = (await runEach(removed, (id) => deleteLabel(props.namespace, props.name, digest, id))).failures;
    const additions = (await runEach(added, (label) => addLabel(props.namespace, props.name, digest, label.key, label.value))).failures;
    await queryClient.invalidateQueries({ queryKey: repoTagsKey(props.namespace, props.name) });
    // What went through is saved: a second Save retries only what failed.
    setRemoved(new Set(deletions.map((failure) => failure.item)));
    setAdded(additions.map((failure) => failure.item));
    setBusy(false);
    for (const failure of deletions) toasts.failure('Could not delete a label', failure.error);
    for (const failure of additions) toasts.failure(`Could not add label ${failure.item.key}`, failure.error);
    if (deletions.length + additions.length === 0) {
      toasts.success(`Successfully saved labels for tag ${props.tag.name}`);
      props.onClose();
    }
  };

  return (
    <>
      <ModalBody>
        <Form onSubmit={(e) => e.preventDefault()}>
          <FormGroup label="Labels" fieldId="tag-labels" role="group">
            <LabelGroup numLabels={20} isEditable={false} data-testid="label-editor-labels" aria-label="Labels of the manifest">
              {kept.map((label) => (
                <Label
                  key={label.id}
                  variant="outline"
                  onClose={label.source_type === 'api' ? () => setRemoved(new Set(removed).add(label.id)) : undefined}
                  closeBtnAriaLabel={`Remove label ${label.key}`}
                >
                  {label.key}={label.value}
                </Label>
              ))}
              {added.map((label) => (
                <Label
                  key={`${label.key}=${label.value}`}
                  color="blue"
                  onClose={() => setAdded(added.filter((other) => other !== label))}
                  closeBtnAriaLabel={`Remove label ${label.key}`}
                >
                  {label.key}={label.value}
                </Label>
              ))}
            </LabelGroup>
            {kept.length + added.length === 0 && <Content component="small">No labels.</Content>}
            {props.labels.some((label) => label.source_type !== 'api') && (
              <Content component="small">Labels that come from the image itself cannot be removed.</Content>
            )}
          </FormGroup>
          <NewLabelInput
            onAdd={(label) => {
              const duplicate = added.some((other) => other.key === label.key && other.value === label.value);
              if (!duplicate) setAdded([...added, label]);
            }}
          />
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={save} isLoading={busy} isDisabled={busy || (removed.size === 0 && added.length === 0)}>
          Save labels
        </Button>
        <Button variant="link" onClick={props.onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </>
  );
}

/** Adds and removes the labels of the manifest a tag points to. */
export function EditLabelsModal(props: { namespace: string; name: string; tag: TagView; onClose(): void }) {
  const labels = useManifestLabels(props.namespace, props.name, props.tag.manifest_digest);
  return (
    <Modal variant="small" isOpen onClose={props.onClose} aria-labelledby="edit-labels-title" data-testid="edit-labels-modal">
      <ModalHeader title={`Edit labels of ${props.tag.name}`} labelId="edit-labels-title" />
      {labels.isPending && (
        <ModalBody>
          <Spinner size="lg" aria-label="Loading labels" />
        </ModalBody>
      )}
      {labels.isError && (
        <ModalBody>
          <LoadError error={labels.error} />
        </ModalBody>
      )}
      {labels.data && <LabelEditor {...props} labels={labels.data} />}
    </Modal>
  );
}
