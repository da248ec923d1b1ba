import {
  Alert,
  Button,
  Form,
  FormGroup,
  FormHelperText,
  FormSelect,
  FormSelectOption,
  HelperText,
  HelperTextItem,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  Radio,
  TextArea,
  TextInput,
} from '@patternfly/react-core';
import { useState } from 'react';
import { useToasts } from '../../components/Toasts';
import { useCreateRepository, type Visibility } from './repositoriesApi';
import { repositoryNameProblem } from './repositoryName';

/** "Create Repository": namespace, name, description and visibility; POST /api/v1/repository. */
export function CreateRepositoryModal(props: { namespaces: string[]; defaultNamespace?: string; onClose(): void }) {
  const [namespace, setNamespace] = useState(
    props.defaultNamespace && props.namespaces.includes(props.defaultNamespace) ? props.defaultNamespace : (props.namespaces[0] ?? ''),
  );
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('private');
  const [touched, setTouched] = useState(false);
  const create = useCreateRepository();
  const toasts = useToasts();
  const nameProblem = repositoryNameProblem(name);
  const showNameProblem = touched && nameProblem !== undefined;

  async function submit() {
    setTouched(true);
    if (nameProblem || !namespace) return;
    const repository = name.trim();
    try {
      await create.mutateAsync({ namespace, repository, description, visibility });
      toasts.success(`Created repository ${namespace}/${repository}`);
      props.onClose();
    } catch {
      // Shown in the modal from create.error.
    }
  }

  return (
    <Modal variant="small" isOpen onClose={props.onClose} aria-labelledby="create-repository-title">
      <ModalHeader title="Create repository" labelId="create-repository-title" />
      <ModalBody>
        {create.error && (
          <Alert variant="danger" isInline title="Could not create the repository" data-testid="create-repository-error">
            {create.error.message}
          </Alert>
        )}
        <Form
          id="create-repository-form"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <FormGroup label="Namespace" fieldId="new-repository-namespace" isRequired>
            <FormSelect id="new-repository-namespace" value={namespace} onChange={(_e, value) => setNamespace(value)}>
              {props.namespaces.map((ns) => (
                <FormSelectOption key={ns} value={ns} label={ns} />
              ))}
            </FormSelect>
          </FormGroup>
          <FormGroup label="Repository name" fieldId="new-repository-name" isRequired>
            <TextInput
              id="new-repository-name"
              value={name}
              validated={showNameProblem ? 'error' : 'default'}
              onChange={(_e, value) => setName(value)}
              onBlur={() => setTouched(true)}
            />
            <FormHelperText>
              <HelperText>
                {showNameProblem ? (
                  <HelperTextItem variant="error" data-testid="repository-name-error">
                    {nameProblem}
                  </HelperTextItem>
                ) : (
                  <HelperTextItem>Lower-case letters, digits, and . _ - separators; "/" nests names.</HelperTextItem>
                )}
              </HelperText>
            </FormHelperText>
          </FormGroup>
          <FormGroup label="Description" fieldId="new-repository-description">
            <TextArea id="new-repository-description" value={description} onChange={(_e, value) => setDescription(value)} resizeOrientation="vertical" />
          </FormGroup>
          <FormGroup label="Visibility" role="radiogroup" fieldId="new-repository-visibility" isStack>
            <Radio
              id="new-repository-public"
              name="new-repository-visibility"
              label="Public"
              description="Anyone can see and pull this repository."
              isChecked={visibility === 'public'}
              onChange={() => setVisibility('public')}
            />
            <Radio
              id="new-repository-private"
              name="new-repository-visibility"
              label="Private"
              description="Only the people and robots you choose can see it."
              isChecked={visibility === 'private'}
              onChange={() => setVisibility('private')}
            />
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="create-repository-form" isLoading={create.isPending} isDisabled={create.isPending}>
          Create
        </Button>
        <Button variant="link" onClick={props.onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
