import {
  Button,
  EmptyState,
  EmptyStateBody,
  Pagination,
  SearchInput,
  Spinner,
  Toolbar,
  ToolbarContent,
  ToolbarGroup,
  ToolbarItem,
} from '@patternfly/react-core';
import { TrashIcon } from '@patternfly/react-icons';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { errorText } from '../../api/client';
import { runEach } from '../../api/bulk';
import { LoadError } from '../../components/LoadError';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { useToasts } from '../../components/Toasts';
import { CreateRobotWizard } from './CreateRobotWizard';
import { CredentialsModal } from './CredentialsModal';
import { RepositoryPermissionsModal } from './RepositoryPermissionsModal';
import { type RobotAction, RobotsTable } from './RobotsTable';
import { deleteRobot, type RobotScope, robotKeys, shortName, useRobots } from './robotsApi';

/** Which modal is open, and for which robot(s). */
type OpenModal =
  | { kind: 'create' }
  | { kind: 'permissions'; robotName: string }
  | { kind: 'credentials'; robotName: string }
  | { kind: 'delete'; robotNames: string[] };

function useDeleteRobots(scope: RobotScope, onDeleted: (names: string[]) => void) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  return async (robotNames: string[]) => {
    const outcome = await runEach(robotNames, (name) => deleteRobot(scope, shortName(name)));
    const deleted = outcome.succeeded;
    const failures = outcome.failures.map(({ item, error }) => `${item}: ${errorText(error)}`);
    await queryClient.invalidateQueries({ queryKey: robotKeys.all(scope) });
    onDeleted(deleted);
    if (deleted.length > 0) toasts.success(deleted.length === 1 ? 'Successfully deleted robot account' : `Successfully deleted ${deleted.length} robot accounts`);
    if (failures.length > 0) toasts.failure(`Could not delete robot accounts: ${failures.join('; ')}`);
  };
}

/** The robot accounts of an organization or of the signed-in user's own namespace. */
export function RobotsTab(props: { namespace: string; isOrganization: boolean }) {
  const scope = useMemo<RobotScope>(
    () => ({ namespace: props.namespace, isOrganization: props.isOrganization }),
    [props.namespace, props.isOrganization],
  );
  const robots = useRobots(scope);
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(1);
  const [perPage, setPerPage] = useState(20);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [modal, setModal] = useState<OpenModal>();
  const deleteRobots = useDeleteRobots(scope, (names) =>
    setSelected((current) => new Set([...current].filter((name) => !names.includes(name)))),
  );

  if (robots.isPending) return <Spinner size="lg" aria-label="Loading robot accounts" />;
  if (robots.isError) return <LoadError error={robots.error} />;

  const needle = filter.trim().toLowerCase();
  const matching = robots.data
    .filter((robot) => robot.name.toLowerCase().includes(needle) || (robot.description ?? '').toLowerCase().includes(needle))
    .sort((a, b) => a.name.localeCompare(b.name));
  const pageRobots = matching.slice((page - 1) * perPage, page * perPage);
  const onAction = (action: RobotAction, robotName: string) =>
    setModal(action === 'delete' ? { kind: 'delete', robotNames: [robotName] } : { kind: action, robotName });

  return (
    <>
      <Toolbar data-testid="robots-toolbar">
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput
              aria-label="Search robot accounts"
              placeholder="Search robot accounts"
              value={filter}
              onChange={(_e, value) => {
                setFilter(value);
                setPage(1);
              }}
              onClear={() => setFilter('')}
            />
          </ToolbarItem>
          <ToolbarGroup>
            <ToolbarItem>
              <Button variant="primary" onClick={() => setModal({ kind: 'create' })} data-testid="create-robot">
                Create robot account
              </Button>
            </ToolbarItem>
            <ToolbarItem>
              <Button
                variant="plain"
                aria-label="Delete selected robot accounts"
                icon={<TrashIcon />}
                isDisabled={selected.size === 0}
                onClick={() => setModal({ kind: 'delete', robotNames: [...selected].sort() })}
                data-testid="delete-selected-robots"
              />
            </ToolbarItem>
          </ToolbarGroup>
          <ToolbarItem variant="pagination" align={{ default: 'alignEnd' }}>
            <Pagination
              itemCount={matching.length}
              page={page}
              perPage={perPage}
              onSetPage={(_e, next) => setPage(next)}
              onPerPageSelect={(_e, next) => {
                setPerPage(next);
                setPage(1);
              }}
              isCompact
            />
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {matching.length === 0 ? (
        <EmptyState titleText={robots.data.length === 0 ? 'No robot accounts yet' : 'No matching robot accounts'} headingLevel="h3">
          <EmptyStateBody>
            {robots.data.length === 0
              ? 'Robot accounts give scripts and clusters their own credentials for pulling and pushing.'
              : 'No robot account matches the search.'}
          </EmptyStateBody>
        </EmptyState>
      ) : (
        <RobotsTable
          robots={pageRobots}
          showTeams={props.isOrganization}
          selected={selected}
          onSelectedChange={setSelected}
          onAction={onAction}
        />
      )}
      <CreateRobotWizard scope={scope} isOpen={modal?.kind === 'create'} onClose={() => setModal(undefined)} />
      {modal?.kind === 'permissions' && (
        <RepositoryPermissionsModal scope={scope} robotName={modal.robotName} onClose={() => setModal(undefined)} />
      )}
      {modal?.kind === 'credentials' && (
        <CredentialsModal scope={scope} robotName={modal.robotName} onClose={() => setModal(undefined)} />
      )}
      <ConfirmDeleteModal
        title={modal?.kind === 'delete' && modal.robotNames.length > 1 ? 'Delete robot accounts?' : 'Delete robot account?'}
        noun="robot accounts"
        items={modal?.kind === 'delete' ? modal.robotNames : []}
        isOpen={modal?.kind === 'delete'}
        onClose={() => setModal(undefined)}
        onConfirm={() => (modal?.kind === 'delete' ? deleteRobots(modal.robotNames) : undefined)}
      />
    </>
  );
}
