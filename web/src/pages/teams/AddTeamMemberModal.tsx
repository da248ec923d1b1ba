import { Alert, Button, Form, FormGroup, Label, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorText } from '../../api/client';
import { usePublicConfig } from '../../api/session';
import { type Entity, EntityPicker } from '../../components/EntityPicker';
import { useToasts } from '../../components/Toasts';
import { addTeamMember, inviteEmailToTeam, refreshTeams } from './teamsApi';

/**
 * "Add new member": a user or robot account found by name, or (with mailing on) an e-mail address
 * to invite. With mailing on, the server invites users who are new to the organization.
 */
export function AddTeamMemberModal(props: { org: string; team: string; onClose(): void }) {
  const { org, team } = props;
  const mailing = usePublicConfig().data?.features['MAILING'] === true;
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [chosen, setChosen] = useState<Entity>();
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      if (chosen) {
        const result = await addTeamMember(org, team, chosen.name);
        toasts.success(result.invited ? `Invited ${chosen.name} to team ${team}` : `Added ${chosen.name} to team ${team}`);
      } else {
        await inviteEmailToTeam(org, team, email.trim());
        toasts.success(`Invited ${email.trim()} to team ${team}`);
      }
      await refreshTeams(queryClient, org);
      props.onClose();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal isOpen variant="small" onClose={props.onClose} aria-labelledby="add-member-title" data-testid="add-member-modal">
      <ModalHeader title={`Add a member to ${team}`} labelId="add-member-title" />
      <ModalBody>
        {error && <Alert variant="danger" isInline title={error} />}
        <Form onSubmit={(e) => e.preventDefault()}>
          <FormGroup label="User or robot account" fieldId="add-member-search">
            <EntityPicker
              id="add-member-search"
              namespace={org}
              placeholder="Search for a user or robot account"
              accept={(entity) => entity.kind === 'user'}
              onSelect={(entity) => {
                setChosen(entity);
                setEmail('');
              }}
            />
            {chosen && (
              <Label color="blue" onClose={() => setChosen(undefined)} closeBtnAriaLabel="Clear selection" data-testid="chosen-member">
                {chosen.name}
              </Label>
            )}
          </FormGroup>
          {mailing && (
            <FormGroup label="Or invite by e-mail address" fieldId="add-member-email">
              <TextInput
                id="add-member-email"
                type="email"
                value={email}
                onChange={(_e, value) => {
                  setEmail(value);
                  setChosen(undefined);
                }}
              />
            </FormGroup>
          )}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={submit} isDisabled={busy || (!chosen && !email.trim())} isLoading={busy}>
          {chosen || !email.trim() ? 'Add member' : 'Send invitation'}
        </Button>
        <Button variant="link" onClick={props.onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
