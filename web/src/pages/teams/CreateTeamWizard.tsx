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
  Label,
  LabelGroup,
  List,
  ListItem,
  Modal,
  Spinner,
  TextArea,
  TextInput,
  Wizard,
  WizardHeader,
  WizardStep,
} from '@patternfly/react-core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { runEach } from '../../api/bulk';
import { errorText } from '../../api/client';
import { EntityPicker } from '../../components/EntityPicker';
import { useToasts } from '../../components/Toasts';
import { RepositoryPermissionsTable } from './RepositoryPermissionsTable';
import {
  addTeamMember,
  applyTeamPermissions,
  type PermissionChoice,
  refreshTeams,
  saveTeam,
  teamNameProblem,
  useOrganizationRepositories,
} from './teamsApi';

interface ChosenMember {
  name: string;
  isRobot: boolean;
}

/**
 * "Create new team": name and description, repository permissions, members and robots, then a
 * review. Nothing is written until Finish, so Cancel leaves no half-made team behind.
 */
export function CreateTeamWizard(props: { org: string; existingTeams: string[]; onClose(): void }) {
  const { org } = props;
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [choices, setChoices] = useState<Map<string, PermissionChoice>>(new Map());
  const [members, setMembers] = useState<ChosenMember[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const nameProblem = teamNameProblem(name) ?? (props.existingTeams.includes(name) ? `Team ${name} already exists.` : undefined);
  const granted = [...choices].filter(([, choice]) => choice !== 'none');

  const finish = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await saveTeam(org, name, { role: 'member', description });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
      return;
    }
    const failures = await applyTeamPermissions(org, name, choices, new Map());
    const added = await runEach(members, (member) => addTeamMember(org, name, member.name));
    failures.push(...added.failures.map(({ item, error }) => `${item.name}: ${errorText(error)}`));
    await refreshTeams(queryClient, org);
    if (failures.length > 0) toasts.failure(`Created team ${name}, but some changes failed: ${failures.join('; ')}`);
    else toasts.success(`Created team ${name}`);
    props.onClose();
  };

  return (
    // The wizard header has the close button; the modal only closes on Escape.
    <Modal isOpen variant="large" onEscapePress={props.onClose} aria-label="Create team" data-testid="create-team-wizard">
      <Wizard
        header={<WizardHeader title="Create team" onClose={props.onClose} closeButtonAriaLabel="Close" />}
        onClose={props.onClose}
        onSave={finish}
        height={560}
      >
        <WizardStep name="Name and description" id="team-name" footer={{ isNextDisabled: nameProblem !== undefined }}>
          <TeamNameForm name={name} description={description} problem={name ? nameProblem : undefined} onName={setName} onDescription={setDescription} />
        </WizardStep>
        <WizardStep name="Repositories" id="team-repositories" isDisabled={nameProblem !== undefined}>
          <RepositoryStep org={org} choices={choices} onChange={(repo, choice) => setChoices((all) => new Map(all).set(repo, choice))} />
        </WizardStep>
        <WizardStep name="Members" id="team-members" isDisabled={nameProblem !== undefined}>
          <MembersStep org={org} members={members} onChange={setMembers} />
        </WizardStep>
        <WizardStep
          name="Review and finish"
          id="team-review"
          isDisabled={nameProblem !== undefined}
          footer={{ nextButtonText: 'Finish', isNextDisabled: busy, nextButtonProps: { isLoading: busy } }}
        >
          {error && <Alert variant="danger" isInline title={`Could not create team ${name}: ${error}`} />}
          <TeamReview name={name} description={description} granted={granted} members={members} />
        </WizardStep>
      </Wizard>
    </Modal>
  );
}

function TeamNameForm(props: {
  name: string;
  description: string;
  problem: string | undefined;
  onName(name: string): void;
  onDescription(description: string): void;
}) {
  return (
    <Form onSubmit={(e) => e.preventDefault()}>
      <FormGroup label="Team name" isRequired fieldId="new-team-name">
        <TextInput
          id="new-team-name"
          isRequired
          value={props.name}
          validated={props.problem ? 'error' : 'default'}
          onChange={(_e, value) => props.onName(value)}
        />
        <FormHelperText>
          <HelperText>
            <HelperTextItem variant={props.problem ? 'error' : 'default'}>
              {props.problem ?? 'Lower-case letters and digits, with . _ or - between them.'}
            </HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
      <FormGroup label="Description" fieldId="new-team-description">
        <TextArea id="new-team-description" value={props.description} onChange={(_e, value) => props.onDescription(value)} resizeOrientation="vertical" />
      </FormGroup>
    </Form>
  );
}

function RepositoryStep(props: {
  org: string;
  choices: ReadonlyMap<string, PermissionChoice>;
  onChange(repository: string, choice: PermissionChoice): void;
}) {
  const repositories = useOrganizationRepositories(props.org);
  if (repositories.isPending) return <Spinner size="lg" aria-label="Loading repositories" />;
  if (repositories.isError) return <Alert variant="danger" isInline title={`Could not load repositories: ${repositories.error.message}`} />;
  return (
    <>
      <p>Choose what the team may do in each repository of the organization (optional).</p>
      <RepositoryPermissionsTable repositories={repositories.data} choices={props.choices} onChange={props.onChange} />
    </>
  );
}

function MembersStep(props: { org: string; members: ChosenMember[]; onChange(members: ChosenMember[]): void }) {
  const add = (member: ChosenMember) => {
    if (!props.members.some((m) => m.name === member.name)) props.onChange([...props.members, member]);
  };
  return (
    <Form onSubmit={(e) => e.preventDefault()}>
      <FormGroup label="Add a user or robot account (optional)" fieldId="new-team-member">
        <EntityPicker
          id="new-team-member"
          namespace={props.org}
          placeholder="Search for a user or robot account"
          accept={(entity) => entity.kind === 'user'}
          onSelect={(entity) => add({ name: entity.name, isRobot: entity.is_robot === true })}
        />
      </FormGroup>
      <LabelGroup categoryName="Members" numLabels={20} data-testid="chosen-members">
        {props.members.map((member) => (
          <Label
            key={member.name}
            color={member.isRobot ? 'purple' : 'blue'}
            onClose={() => props.onChange(props.members.filter((m) => m.name !== member.name))}
            closeBtnAriaLabel={`Remove ${member.name}`}
          >
            {member.name}
          </Label>
        ))}
      </LabelGroup>
    </Form>
  );
}

function TeamReview(props: { name: string; description: string; granted: [string, PermissionChoice][]; members: ChosenMember[] }) {
  return (
    <DescriptionList isHorizontal data-testid="team-review">
      <DescriptionListGroup>
        <DescriptionListTerm>Team name</DescriptionListTerm>
        <DescriptionListDescription className="qs-wrap-anywhere">{props.name}</DescriptionListDescription>
      </DescriptionListGroup>
      <DescriptionListGroup>
        <DescriptionListTerm>Description</DescriptionListTerm>
        <DescriptionListDescription>{props.description || 'None'}</DescriptionListDescription>
      </DescriptionListGroup>
      <DescriptionListGroup>
        <DescriptionListTerm>Repositories</DescriptionListTerm>
        <DescriptionListDescription>
          {props.granted.length === 0 ? (
            'None'
          ) : (
            <List isPlain>
              {props.granted.map(([repository, role]) => (
                <ListItem key={repository}>
                  {repository}: {role}
                </ListItem>
              ))}
            </List>
          )}
        </DescriptionListDescription>
      </DescriptionListGroup>
      <DescriptionListGroup>
        <DescriptionListTerm>Members</DescriptionListTerm>
        <DescriptionListDescription>
          {props.members.length === 0 ? 'None' : props.members.map((m) => (m.isRobot ? `${m.name} (robot)` : m.name)).join(', ')}
        </DescriptionListDescription>
      </DescriptionListGroup>
    </DescriptionList>
  );
}
