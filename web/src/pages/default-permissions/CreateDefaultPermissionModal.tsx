import { Alert, Button, Form, FormGroup, Modal, ModalBody, ModalFooter, ModalHeader, Radio } from '@patternfly/react-core';
import { useState } from 'react';
import { type Entity, EntityPicker } from '../../components/EntityPicker';
import { PermissionSelect, type RepositoryRole } from '../../components/PermissionSelect';
import { useToasts } from '../../components/Toasts';
import { AccountName } from './AccountName';
import { type NewPrototype, useCreatePrototype } from './prototypeQueries';

type Creator = 'anyone' | 'specific';

const LABELS: Record<RepositoryRole, string> = { read: 'read', write: 'write', admin: 'admin' };

/**
 * A new default permission: who it applies to when they create a repository (anyone, or one user
 * or robot), which user, robot or team receives a role, and which role.
 */
export function CreateDefaultPermissionModal(props: { org: string; isOpen: boolean; onClose(): void }) {
  const [creatorKind, setCreatorKind] = useState<Creator>('anyone');
  const [creator, setCreator] = useState<Entity>();
  const [delegate, setDelegate] = useState<Entity>();
  const [role, setRole] = useState<RepositoryRole>('write');
  const create = useCreatePrototype(props.org);
  const toasts = useToasts();
  const needsCreator = creatorKind === 'specific';
  const canSubmit = delegate !== undefined && (!needsCreator || creator !== undefined) && !create.isPending;

  const close = () => {
    setCreatorKind('anyone');
    setCreator(undefined);
    setDelegate(undefined);
    setRole('write');
    create.reset();
    props.onClose();
  };
  const submit = () => {
    if (!delegate || (needsCreator && !creator)) return;
    const input: NewPrototype = {
      role,
      delegate: { name: delegate.name, kind: delegate.kind === 'team' ? 'team' : 'user' },
      ...(needsCreator && creator ? { activating_user: { name: creator.name } } : {}),
    };
    const createdBy = needsCreator && creator ? creator.name : 'anyone';
    create.mutate(input, {
      onSuccess: () => {
        toasts.success(`Default permission created: ${delegate.name} gets ${LABELS[role]} on repositories created by ${createdBy}`);
        close();
      },
    });
  };

  return (
    <Modal variant="medium" isOpen={props.isOpen} onClose={close} aria-labelledby="create-default-permission-title">
      <ModalHeader
        title="Create default permission"
        labelId="create-default-permission-title"
        description="Grants a role on every new repository of this organization, in addition to its creator's own."
      />
      <ModalBody>
        <Form
          id="create-default-permission-form"
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          {create.isError && (
            <Alert variant="danger" isInline title="Could not create the default permission" data-testid="create-default-permission-error">
              {create.error.message}
            </Alert>
          )}
          <FormGroup role="radiogroup" label="Applies to repositories created by" fieldId="default-permission-creator" isInline>
            <Radio
              id="default-permission-creator-anyone"
              name="default-permission-creator"
              label="Anyone"
              isChecked={creatorKind === 'anyone'}
              onChange={() => setCreatorKind('anyone')}
            />
            <Radio
              id="default-permission-creator-specific"
              name="default-permission-creator"
              label="Specific user"
              isChecked={creatorKind === 'specific'}
              onChange={() => setCreatorKind('specific')}
            />
          </FormGroup>
          {needsCreator && (
            <FormGroup label="Repository creator" isRequired fieldId="default-permission-creator-search">
              <ChosenOrPicker
                id="default-permission-creator-search"
                org={props.org}
                chosen={creator}
                onChange={setCreator}
                placeholder="Search for a user or robot"
                testId="chosen-creator"
              />
            </FormGroup>
          )}
          <FormGroup label="Applied to" isRequired fieldId="default-permission-delegate-search">
            <ChosenOrPicker
              id="default-permission-delegate-search"
              org={props.org}
              chosen={delegate}
              onChange={setDelegate}
              includeTeams
              placeholder="Search for a user, robot or team"
              testId="chosen-delegate"
            />
          </FormGroup>
          <FormGroup label="Permission" isRequired fieldId="default-permission-role">
            <PermissionSelect id="default-permission-role" value={role} onChange={(value) => value !== 'none' && setRole(value)} />
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" type="submit" form="create-default-permission-form" isDisabled={!canSubmit} isLoading={create.isPending}>
          Create default permission
        </Button>
        <Button variant="link" onClick={close}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}

/** The chosen account (removable), or a search to choose one. */
function ChosenOrPicker(props: {
  id: string;
  org: string;
  chosen: Entity | undefined;
  onChange(entity: Entity | undefined): void;
  includeTeams?: boolean;
  placeholder: string;
  testId: string;
}) {
  if (props.chosen) return <AccountName account={props.chosen} onRemove={() => props.onChange(undefined)} testId={props.testId} />;
  return (
    <EntityPicker
      id={props.id}
      namespace={props.org}
      includeTeams={props.includeTeams}
      accept={(entity) => entity.kind !== 'org'}
      placeholder={props.placeholder}
      onSelect={props.onChange}
    />
  );
}
