import {
  ActionGroup,
  Alert,
  Button,
  Form,
  FormGroup,
  FormHelperText,
  FormSelect,
  FormSelectOption,
  HelperText,
  HelperTextItem,
  TextInput,
} from '@patternfly/react-core';
import { useState } from 'react';
import type { OrganizationTabProps } from '../../api/organization';
import { usePublicConfig } from '../../api/session';
import { useToasts } from '../../components/Toasts';
import { type OrganizationSettingsChange, useUpdateOrganization } from './organizationQueries';
import { durationSeconds, timeMachineChoices, timeMachineLabel } from './timeMachine';

/** The organization's contact e-mail and time-machine window (administrators only). */
export function OrganizationSettings({ org, organization }: OrganizationTabProps) {
  const config = usePublicConfig().data;
  const savedEmail = organization.email ?? '';
  const savedWindow = organization.tag_expiration_s;
  const [email, setEmail] = useState(savedEmail);
  const [timeMachine, setTimeMachine] = useState(savedWindow);
  const update = useUpdateOrganization(org);
  const toasts = useToasts();

  const options = config?.config.TAG_EXPIRATION_OPTIONS ?? [];
  const canChangeWindow = config?.features['CHANGE_TAG_EXPIRATION'] !== false;
  const change: OrganizationSettingsChange = {};
  if (email.trim() !== savedEmail && email.trim() !== '') change.email = email.trim();
  if (canChangeWindow && timeMachine !== undefined && timeMachine !== savedWindow) change.tag_expiration_s = timeMachine;
  const hasChanges = Object.keys(change).length > 0;

  const save = () => {
    if (!hasChanges) return;
    update.mutate(change, { onSuccess: () => toasts.success(`Saved the settings of organization ${org}`) });
  };

  return (
    <Form
      maxWidth="40rem"
      style={{ paddingTop: 'var(--pf-t--global--spacer--md)' }}
      data-testid="organization-settings"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      {update.isError && (
        <Alert variant="danger" isInline title="Could not save the settings" data-testid="organization-settings-error">
          {update.error.message}
        </Alert>
      )}
      <FormGroup label="E-mail address" fieldId="organization-email">
        <TextInput id="organization-email" type="email" value={email} onChange={(_e, value) => setEmail(value)} />
        <FormHelperText>
          <HelperText>
            <HelperTextItem>The address the registry uses to contact this organization.</HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
      <FormGroup label="Time machine" fieldId="organization-time-machine">
        {canChangeWindow ? (
          <FormSelect
            id="organization-time-machine"
            value={timeMachine === undefined ? '' : String(timeMachine)}
            onChange={(_e, value) => setTimeMachine(Number(value))}
          >
            {timeMachineChoices(options, savedWindow).map((choice) => (
              <FormSelectOption
                key={choice.seconds}
                value={String(choice.seconds)}
                label={isOffered(options, choice.seconds) ? choice.label : `${choice.label} (current; no longer offered)`}
                isDisabled={!isOffered(options, choice.seconds)}
              />
            ))}
          </FormSelect>
        ) : (
          <TextInput id="organization-time-machine" readOnlyVariant="default" value={savedWindow === undefined ? '' : timeMachineLabel(savedWindow)} />
        )}
        <FormHelperText>
          <HelperText>
            <HelperTextItem>
              {canChangeWindow
                ? 'How long deleted and expired tags can still be restored before garbage collection removes them.'
                : 'This registry does not let organizations change their time-machine window.'}
            </HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
      <ActionGroup>
        <Button variant="primary" type="submit" isDisabled={!hasChanges || update.isPending} isLoading={update.isPending}>
          Save
        </Button>
        <Button
          variant="link"
          isDisabled={!hasChanges}
          onClick={() => {
            setEmail(savedEmail);
            setTimeMachine(savedWindow);
            update.reset();
          }}
        >
          Reset
        </Button>
      </ActionGroup>
    </Form>
  );
}

function isOffered(options: readonly string[], seconds: number): boolean {
  return options.some((option) => durationSeconds(option) === seconds);
}
