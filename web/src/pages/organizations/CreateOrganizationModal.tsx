import { Alert, Button, Form, FormGroup, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core';
import { useState } from 'react';
import { usePublicConfig } from '../../api/session';
import { useToasts } from '../../components/Toasts';
import { useCreateOrganization } from './organizationQueries';

/** "Create Organization": a name and a contact e-mail (required when the registry sends mail). */
export function CreateOrganizationModal(props: { isOpen: boolean; onClose(): void }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const create = useCreateOrganization();
  const toasts = useToasts();
  const emailRequired = usePublicConfig().data?.features['MAILING'] === true;
  const canSubmit = name.trim().length > 0 && (!emailRequired || email.trim().length > 0) && !create.isPending;

  const close = () => {
    setName('');
    setEmail('');
    create.reset();
    props.onClose();
  };
  const submit = () => {
    if (!canSubmit) return;
    const trimmedEmail = email.trim();
    create.mutate(
      { name: name.trim(), ...(trimmedEmail ? { email: trimmedEmail } : {}) },
      {
        onSuccess: () => {
          toasts.success(`Created organization ${name.trim()}`);
          close();
        },
      },
    );
  };

  return (
    <Modal variant="small" isOpen={props.isOpen} onClose={close} aria-labelledby="create-organization-title">
      <ModalHeader title="Create organization" labelId="create-organization-title" />
      <ModalBody>
        <Form
          id="create-organization-form"
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          {create.isError && (
            <Alert variant="danger" isInline title="Could not create the organization" data-testid="create-organization-error">
              {create.error.message}
            </Alert>
          )}
          <FormGroup label="Organization name" isRequired fieldId="new-organization-name">
            <TextInput id="new-organization-name" isRequired value={name} onChange={(_e, value) => setName(value)} />
          </FormGroup>
          <FormGroup label="E-mail address" isRequired={emailRequired} fieldId="new-organization-email">
            <TextInput
              id="new-organization-email"
              type="email"
              isRequired={emailRequired}
              value={email}
              onChange={(_e, value) => setEmail(value)}
            />
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" type="submit" form="create-organization-form" isDisabled={!canSubmit} isLoading={create.isPending}>
          Create
        </Button>
        <Button variant="link" onClick={close}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
