import {
  Alert,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  Modal,
  Spinner,
  TextArea,
  TextInput,
  Wizard,
  WizardHeader,
  WizardStep,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorText } from '../../api/client';
import { runEach } from '../../api/bulk';
import { useOrganization } from '../../api/organization';
import type { RepositoryRole } from '../../components/PermissionSelect';
import { useToasts } from '../../components/Toasts';
import { useNamespaceRepositories } from '../../api/repositories';
import { RepositoryPermissionPicker } from './RepositoryPermissionPicker';
import {
  addRobotToTeam,
  createRobot,
  fullRobotName,
  ROBOT_SHORTNAME_PATTERN,
  type RobotScope,
  robotKeys,
  setRepositoryPermission,
} from './robotsApi';

interface RobotDraft {
  name: string;
  description: string;
  teams: Set<string>;
  repositories: Set<string>;
  role: RepositoryRole;
}

const EMPTY_DRAFT: RobotDraft = { name: '', description: '', teams: new Set(), repositories: new Set(), role: 'read' };

function NameStep(props: { draft: RobotDraft; onChange(draft: RobotDraft): void }) {
  const { draft } = props;
  const invalid = draft.name !== '' && !ROBOT_SHORTNAME_PATTERN.test(draft.name);
  return (
    <Form onSubmit={(e) => e.preventDefault()}>
      <FormGroup label="Robot name" isRequired fieldId="robot-wizard-name">
        <TextInput
          id="robot-wizard-name"
          isRequired
          value={draft.name}
          validated={invalid ? 'error' : 'default'}
          onChange={(_e, name) => props.onChange({ ...draft, name })}
        />
        <FormHelperText>
          <HelperText>
            <HelperTextItem variant={invalid ? 'error' : 'default'}>
              Lower-case letters and digits, optionally joined by ".", "_" or "-".
            </HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
      <FormGroup label="Description" fieldId="robot-wizard-description">
        <TextArea
          id="robot-wizard-description"
          value={draft.description}
          onChange={(_e, description) => props.onChange({ ...draft, description })}
          resizeOrientation="vertical"
        />
      </FormGroup>
    </Form>
  );
}

function TeamsStep(props: { org: string; selected: Set<string>; onChange(selected: Set<string>): void }) {
  const organization = useOrganization(props.org);
  if (organization.isPending) return <Spinner size="lg" aria-label="Loading teams" />;
  if (organization.isError) return <Alert variant="danger" isInline title={`Could not load the teams: ${organization.error.message}`} />;
  const teams = Object.values(organization.data.teams ?? {}).sort((a, b) => a.name.localeCompare(b.name));
  if (teams.length === 0) return <p>This organization has no teams.</p>;
  const toggle = (name: string, on: boolean) => {
    const next = new Set(props.selected);
    if (on) next.add(name);
    else next.delete(name);
    props.onChange(next);
  };
  return (
    <Table aria-label="Teams" variant="compact" data-testid="robot-team-picker">
      <Thead>
        <Tr>
          <Th screenReaderText="Select" />
          <Th>Team</Th>
          <Th>Role</Th>
        </Tr>
      </Thead>
      <Tbody>
        {teams.map((team, rowIndex) => (
          <Tr key={team.name} data-testid={`team-row-${team.name}`}>
            <Td select={{ rowIndex, isSelected: props.selected.has(team.name), onSelect: (_e, on) => toggle(team.name, on) }} />
            <Td dataLabel="Team">{team.name}</Td>
            <Td dataLabel="Role">{team.role}</Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}

function RepositoriesStep(props: { namespace: string; draft: RobotDraft; onChange(draft: RobotDraft): void }) {
  const repositories = useNamespaceRepositories(props.namespace);
  if (repositories.isPending) return <Spinner size="lg" aria-label="Loading repositories" />;
  if (repositories.isError) {
    return <Alert variant="danger" isInline title={`Could not load the repositories: ${repositories.error.message}`} />;
  }
  return (
    <RepositoryPermissionPicker<RepositoryRole>
      repositories={repositories.data}
      selected={props.draft.repositories}
      onSelectedChange={(selected) => props.onChange({ ...props.draft, repositories: selected })}
      role={props.draft.role}
      onRoleChange={(role) => props.onChange({ ...props.draft, role })}
    />
  );
}

function ReviewStep(props: { scope: RobotScope; draft: RobotDraft; error?: string }) {
  const { draft } = props;
  const listOrNone = (items: Set<string>) => (items.size === 0 ? 'None' : [...items].sort().join(', '));
  return (
    <>
      {props.error && (
        <Alert variant="danger" isInline title="Error creating robot account" data-testid="robot-create-error">
          {props.error}
        </Alert>
      )}
      <DescriptionList isHorizontal>
        <DescriptionListGroup>
          <DescriptionListTerm>Robot account</DescriptionListTerm>
          <DescriptionListDescription className="qs-wrap-anywhere">{fullRobotName(props.scope, draft.name)}</DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Description</DescriptionListTerm>
          <DescriptionListDescription>{draft.description || 'None'}</DescriptionListDescription>
        </DescriptionListGroup>
        {props.scope.isOrganization && (
          <DescriptionListGroup>
            <DescriptionListTerm>Teams</DescriptionListTerm>
            <DescriptionListDescription>{listOrNone(draft.teams)}</DescriptionListDescription>
          </DescriptionListGroup>
        )}
        <DescriptionListGroup>
          <DescriptionListTerm>Repositories</DescriptionListTerm>
          <DescriptionListDescription data-testid="review-repositories">
            {draft.repositories.size === 0 ? 'None' : `${listOrNone(draft.repositories)} (${draft.role})`}
          </DescriptionListDescription>
        </DescriptionListGroup>
      </DescriptionList>
    </>
  );
}

/** Grants what the draft asks for; returns the messages of the grants that failed. */
async function applyDraftGrants(scope: RobotScope, draft: RobotDraft): Promise<string[]> {
  const robotName = fullRobotName(scope, draft.name);
  const grants = [
    ...[...draft.teams].map((team) => ({ what: `team ${team}`, run: () => addRobotToTeam(scope.namespace, team, robotName) })),
    ...[...draft.repositories].map((repo) => ({
      what: `repository ${repo}`,
      run: () => setRepositoryPermission(scope.namespace, repo, robotName, draft.role),
    })),
  ];
  const { failures } = await runEach(grants, (grant) => grant.run());
  return failures.map(({ item, error }) => `${item.what}: ${errorText(error)}`);
}

/** "Create robot account": name and description, teams (organizations), repositories, review. */
export function CreateRobotWizard(props: { scope: RobotScope; isOpen: boolean; onClose(): void; onCreated?(robotName: string): void }) {
  const [draft, setDraft] = useState<RobotDraft>(EMPTY_DRAFT);
  const [error, setError] = useState<string>();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const close = () => {
    setDraft(EMPTY_DRAFT);
    setError(undefined);
    props.onClose();
  };
  const create = async () => {
    if (!ROBOT_SHORTNAME_PATTERN.test(draft.name)) {
      setError('Enter a valid robot name in the first step.');
      return;
    }
    setError(undefined);
    try {
      await createRobot(props.scope, draft.name, draft.description.trim());
    } catch (err) {
      setError(errorText(err));
      return;
    }
    const failures = await applyDraftGrants(props.scope, draft);
    await queryClient.invalidateQueries({ queryKey: robotKeys.all(props.scope) });
    toasts.success(`Successfully created robot account with robot name: ${fullRobotName(props.scope, draft.name)}`);
    if (failures.length > 0) toasts.failure(`Some permissions could not be granted: ${failures.join('; ')}`);
    props.onCreated?.(fullRobotName(props.scope, draft.name));
    close();
  };
  const nameValid = ROBOT_SHORTNAME_PATTERN.test(draft.name);
  return (
    <Modal variant="large" isOpen={props.isOpen} onClose={close} aria-labelledby="create-robot-title" data-testid="create-robot-wizard">
      <Wizard
        height={560}
        isVisitRequired
        onClose={close}
        onSave={create}
        header={<WizardHeader title="Create robot account" titleId="create-robot-title" onClose={close} closeButtonAriaLabel="Close" />}
      >
        <WizardStep name="Robot name and description" id="robot-name" footer={{ isNextDisabled: !nameValid }}>
          <NameStep draft={draft} onChange={setDraft} />
        </WizardStep>
        <WizardStep name="Add to team (optional)" id="robot-teams" isHidden={!props.scope.isOrganization}>
          {props.scope.isOrganization && (
            <TeamsStep org={props.scope.namespace} selected={draft.teams} onChange={(teams) => setDraft({ ...draft, teams })} />
          )}
        </WizardStep>
        <WizardStep name="Add to repository (optional)" id="robot-repositories">
          <RepositoriesStep namespace={props.scope.namespace} draft={draft} onChange={setDraft} />
        </WizardStep>
        <WizardStep name="Review and finish" id="robot-review" footer={{ nextButtonText: 'Create robot account' }}>
          <ReviewStep scope={props.scope} draft={draft} error={error} />
        </WizardStep>
      </Wizard>
    </Modal>
  );
}
