import { Alert, Button, Modal, ModalBody, ModalFooter, ModalHeader, Spinner } from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import type { RepositoryRole } from '../../components/PermissionSelect';
import { useToasts } from '../../components/Toasts';
import { useNamespaceRepositories } from '../../api/repositories';
import { RepositoryPermissionPicker } from './RepositoryPermissionPicker';
import {
  type NamespaceRepository,
  type RobotScope,
  removeRepositoryPermission,
  robotKeys,
  setRepositoryPermission,
  shortName,
  useRobotPermissions,
} from './robotsApi';

type Choice = RepositoryRole | 'none';

function PermissionsEditor(props: {
  scope: RobotScope;
  robotName: string;
  repositories: NamespaceRepository[];
  currentRoles: ReadonlyMap<string, RepositoryRole>;
  onDone(): void;
}) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [role, setRole] = useState<Choice>('read');
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async () => {
      for (const repo of selected) {
        if (role !== 'none') await setRepositoryPermission(props.scope.namespace, repo, props.robotName, role);
        else if (props.currentRoles.has(repo)) await removeRepositoryPermission(props.scope.namespace, repo, props.robotName);
      }
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: robotKeys.all(props.scope) }),
    onSuccess: () => {
      toasts.success('Successfully updated repository permission');
      props.onDone();
    },
  });
  return (
    <>
      <ModalBody>
        {save.isError && (
          <Alert variant="danger" isInline title="Could not update the repository permissions" data-testid="robot-permissions-error">
            {save.error.message}
          </Alert>
        )}
        <RepositoryPermissionPicker<Choice>
          repositories={props.repositories}
          selected={selected}
          onSelectedChange={setSelected}
          role={role}
          onRoleChange={setRole}
          allowNone
          currentRoles={props.currentRoles}
        />
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={() => save.mutate()} isDisabled={selected.size === 0 || save.isPending} isLoading={save.isPending}>
          Save
        </Button>
        <Button variant="link" onClick={props.onDone}>
          Cancel
        </Button>
      </ModalFooter>
    </>
  );
}

/** "Set repository permissions": one permission (or None) for every checked repository of the namespace. */
export function RepositoryPermissionsModal(props: { scope: RobotScope; robotName: string; onClose(): void }) {
  const repositories = useNamespaceRepositories(props.scope.namespace);
  const permissions = useRobotPermissions(props.scope, shortName(props.robotName));
  const failed = repositories.error ?? permissions.error;
  let body: ReactNode;
  if (failed) {
    body = (
      <ModalBody>
        <Alert variant="danger" isInline title={`Could not load the permissions: ${failed.message}`} />
      </ModalBody>
    );
  } else if (!repositories.data || !permissions.data) {
    body = (
      <ModalBody>
        <Spinner size="lg" aria-label="Loading permissions" />
      </ModalBody>
    );
  } else {
    const currentRoles = new Map(permissions.data.map((permission) => [permission.repository.name, permission.role]));
    body = (
      <PermissionsEditor
        scope={props.scope}
        robotName={props.robotName}
        repositories={repositories.data}
        currentRoles={currentRoles}
        onDone={props.onClose}
      />
    );
  }
  return (
    <Modal variant="medium" isOpen onClose={props.onClose} aria-labelledby="robot-permissions-title" data-testid="robot-permissions-modal">
      <ModalHeader
        title="Set repository permissions"
        labelId="robot-permissions-title"
        description={<span className="qs-wrap-anywhere">{props.robotName}</span>}
      />
      {body}
    </Modal>
  );
}
