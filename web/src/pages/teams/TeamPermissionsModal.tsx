import { Alert, Button, Modal, ModalBody, ModalFooter, ModalHeader, Spinner } from '@patternfly/react-core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { RepositoryRole } from '../../components/PermissionSelect';
import { useToasts } from '../../components/Toasts';
import { RepositoryPermissionsTable } from './RepositoryPermissionsTable';
import { applyTeamPermissions, type PermissionChoice, refreshTeams, useOrganizationRepositories, useTeamPermissions } from './teamsApi';

/** "Set repository permissions" of a team: every repository of the organization, changes saved together. */
export function TeamPermissionsModal(props: { org: string; team: string; onClose(): void }) {
  const repositories = useOrganizationRepositories(props.org);
  const current = useTeamPermissions(props.org, props.team);
  const failed = repositories.error ?? current.error;
  return (
    <Modal isOpen variant="medium" onClose={props.onClose} aria-labelledby="team-permissions-title" data-testid="team-permissions-modal">
      <ModalHeader title={`Set repository permissions for ${props.team}`} labelId="team-permissions-title" />
      {failed ? (
        <ModalBody>
          <Alert variant="danger" isInline title={`Could not load permissions: ${failed.message}`} />
        </ModalBody>
      ) : repositories.data && current.data ? (
        <PermissionsEditor {...props} repositories={repositories.data} current={current.data} />
      ) : (
        <ModalBody>
          <Spinner size="lg" aria-label="Loading permissions" />
        </ModalBody>
      )}
    </Modal>
  );
}

function PermissionsEditor(props: {
  org: string;
  team: string;
  repositories: string[];
  current: ReadonlyMap<string, RepositoryRole>;
  onClose(): void;
}) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [choices, setChoices] = useState<Map<string, PermissionChoice>>(() => new Map(props.current));
  const [busy, setBusy] = useState(false);
  const changed = [...choices].some(([repository, choice]) => choice !== (props.current.get(repository) ?? 'none'));

  const save = async () => {
    setBusy(true);
    const failures = await applyTeamPermissions(props.org, props.team, choices, props.current);
    await refreshTeams(queryClient, props.org);
    setBusy(false);
    if (failures.length > 0) {
      toasts.failure(`Some permissions of ${props.team} could not be changed: ${failures.join('; ')}`);
      return;
    }
    toasts.success(`Updated repository permissions of ${props.team}`);
    props.onClose();
  };

  return (
    <>
      <ModalBody>
        <RepositoryPermissionsTable
          repositories={props.repositories}
          choices={choices}
          onChange={(repository, choice) => setChoices((all) => new Map(all).set(repository, choice))}
        />
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={save} isDisabled={!changed || busy} isLoading={busy}>
          Save
        </Button>
        <Button variant="link" onClick={props.onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </>
  );
}
