import { Button, Content, FormGroup, FormSelect, FormSelectOption, Title } from '@patternfly/react-core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import type { RepositoryView } from '../../api/repository';
import { usePublicConfig } from '../../api/session';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { useToasts } from '../../components/Toasts';
import { type RepositoryRef, type RepositoryState, useRepositoryAdmin } from './settingsApi';

const STATE_LABELS: Record<RepositoryState, string> = { NORMAL: 'Normal', READ_ONLY: 'Read only', MIRROR: 'Mirror' };

const STATE_HELP: Record<RepositoryState, string> = {
  NORMAL: 'Pushes and changes are allowed.',
  READ_ONLY: 'Pulls work; pushes and tag changes are refused.',
  MIRROR: 'The repository is filled from another registry by mirroring; pushes are refused.',
};

/** "Repository visibility": public or private. */
export function VisibilitySection(props: { repo: RepositoryRef; repository: RepositoryView }) {
  const { setVisibility } = useRepositoryAdmin(props.repo);
  const toasts = useToasts();
  const next = props.repository.is_public ? 'private' : 'public';

  async function change() {
    try {
      await setVisibility.mutateAsync(next);
      toasts.success(`The repository is now ${next}`);
    } catch (err) {
      toasts.failure('Could not change the visibility', err);
    }
  }

  return (
    <section data-testid="settings-visibility">
      <Title headingLevel="h2">Repository visibility</Title>
      <Content component="p" data-testid="visibility-text">
        {props.repository.is_public
          ? 'This repository is public: anyone can see and pull it.'
          : 'This repository is private: only the users, robots and teams given a permission can see it.'}
      </Content>
      <Button variant="secondary" onClick={() => void change()} isLoading={setVisibility.isPending} isDisabled={setVisibility.isPending}>
        {next === 'public' ? 'Make public' : 'Make private'}
      </Button>
    </section>
  );
}

/** "Repository state": Normal, Read only, or (with repository mirroring on) Mirror. */
export function StateSection(props: { repo: RepositoryRef; repository: RepositoryView }) {
  const { setState } = useRepositoryAdmin(props.repo);
  const mirroring = usePublicConfig().data?.features['REPO_MIRROR'] === true;
  const toasts = useToasts();
  const current = props.repository.state;
  const states: RepositoryState[] = mirroring || current === 'MIRROR' ? ['NORMAL', 'READ_ONLY', 'MIRROR'] : ['NORMAL', 'READ_ONLY'];

  async function change(state: RepositoryState) {
    try {
      await setState.mutateAsync(state);
      toasts.success(`The repository state is now ${STATE_LABELS[state]}`);
    } catch (err) {
      toasts.failure('Could not change the repository state', err);
    }
  }

  return (
    <section data-testid="settings-state">
      <Title headingLevel="h2">Repository state</Title>
      <FormGroup label="State" fieldId="repository-state">
        <FormSelect
          id="repository-state"
          value={current}
          isDisabled={setState.isPending}
          onChange={(_e, value) => void change(value as RepositoryState)}
          style={{ maxWidth: '20rem' }}
        >
          {states.map((state) => (
            <FormSelectOption key={state} value={state} label={STATE_LABELS[state]} />
          ))}
        </FormSelect>
      </FormGroup>
      <Content component="p">{STATE_HELP[current]}</Content>
    </section>
  );
}

/** "Delete repository": after typing "confirm", deletes it and returns to the repository list. */
export function DeleteRepositorySection(props: { repo: RepositoryRef }) {
  const { remove } = useRepositoryAdmin(props.repo);
  const [confirming, setConfirming] = useState(false);
  const navigate = useNavigate();
  const toasts = useToasts();
  const fullName = `${props.repo.namespace}/${props.repo.name}`;

  async function deleteRepository() {
    try {
      await remove.mutateAsync();
      toasts.success(`Deleted repository ${fullName}`);
      navigate('/repository');
    } catch (err) {
      toasts.failure(`Could not delete ${fullName}`, err);
    }
  }

  return (
    <section data-testid="settings-delete">
      <Title headingLevel="h2">Delete repository</Title>
      <Content component="p">Deleting a repository removes all of its tags and images. This cannot be undone.</Content>
      <Button variant="danger" onClick={() => setConfirming(true)}>
        Delete repository
      </Button>
      <ConfirmDeleteModal
        title="Delete repository?"
        noun="repository"
        items={[fullName]}
        isOpen={confirming}
        onClose={() => setConfirming(false)}
        onConfirm={deleteRepository}
      />
    </section>
  );
}
