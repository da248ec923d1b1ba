import {
  ActionGroup,
  Alert,
  Button,
  Checkbox,
  DatePicker,
  Flex,
  Form,
  FormGroup,
  FormHelperText,
  FormSection,
  FormSelect,
  FormSelectOption,
  HelperText,
  HelperTextItem,
  InputGroup,
  InputGroupItem,
  Split,
  SplitItem,
  Switch,
  TextInput,
  TimePicker,
} from '@patternfly/react-core';
import { type ReactNode, useState } from 'react';
import { errorText } from '../../api/client';
import { type MirrorConfigView, useMirrorActions } from '../../api/mirror';
import { useToasts } from '../../components/Toasts';
import {
  type DraftField,
  type DraftProblems,
  draftFromMirror,
  draftProblems,
  draftToWrite,
  emptyDraft,
  type IntervalUnit,
  type MirrorDraft,
  OFFERED_UNITS,
} from './mirrorDraft';
import { RobotUserSelect } from './RobotUserSelect';
import { TagPatternsHelp } from './TagPatternsHelp';

function Help(props: { problem?: string; children?: ReactNode }) {
  if (!props.problem && !props.children) return null;
  return (
    <FormHelperText>
      <HelperText>
        <HelperTextItem variant={props.problem ? 'error' : 'default'}>{props.problem ?? props.children}</HelperTextItem>
      </HelperText>
    </FormHelperText>
  );
}

/** The mirror's settings; saving creates the configuration (POST) or updates it (PUT). */
export function MirrorForm(props: { namespace: string; name: string; isOrganization: boolean; stored: MirrorConfigView | null }) {
  const { stored } = props;
  const [loaded, setLoaded] = useState<MirrorDraft>(() => (stored ? draftFromMirror(stored, new Date()) : emptyDraft(new Date())));
  const [draft, setDraft] = useState<MirrorDraft>(loaded);
  const [problems, setProblems] = useState<DraftProblems>({});
  const [serverError, setServerError] = useState<string>();
  const { save } = useMirrorActions(props.namespace, props.name);
  const toasts = useToasts();

  const change = (fields: Partial<MirrorDraft>) => setDraft((current) => ({ ...current, ...fields }));
  const invalid = (field: DraftField) => (problems[field] ? 'error' : 'default');

  async function submit() {
    const found = draftProblems(draft, stored);
    setProblems(found);
    setServerError(undefined);
    if (Object.keys(found).length > 0) return;
    const body = draftToWrite(draft, stored, loaded);
    try {
      await save.mutateAsync({ exists: stored !== null, body });
      setLoaded(draft);
      change({ password: '' });
      toasts.success(stored ? 'Saved the mirror settings' : 'Mirroring is set up');
    } catch (err) {
      setServerError(errorText(err));
    }
  }

  async function removeCredentials() {
    setServerError(undefined);
    try {
      await save.mutateAsync({ exists: true, body: { external_registry_username: null, external_registry_password: null } });
      change({ username: '', password: '' });
      toasts.success('Removed the registry credentials');
    } catch (err) {
      setServerError(errorText(err));
    }
  }

  const units: IntervalUnit[] = OFFERED_UNITS.includes(draft.intervalUnit) ? [...OFFERED_UNITS] : ['seconds', ...OFFERED_UNITS];
  return (
    <Form
      isWidthLimited
      data-testid="mirror-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <FormSection title="External repository" titleElement="h2">
        <FormGroup label="State" fieldId="mirror-enabled">
          <Switch
            id="mirror-enabled"
            label="Enabled"
            isChecked={draft.enabled}
            onChange={(_e, enabled) => change({ enabled })}
          />
          <Help>When disabled, no scheduled sync runs; Sync now still runs one.</Help>
        </FormGroup>
        <FormGroup label="Registry location" isRequired fieldId="mirror-external-reference">
          <TextInput
            id="mirror-external-reference"
            isRequired
            value={draft.externalReference}
            placeholder="registry.example.com/namespace/repository"
            validated={invalid('externalReference')}
            onChange={(_e, externalReference) => change({ externalReference })}
          />
          <Help problem={problems.externalReference}>The repository to mirror, without a tag or digest.</Help>
        </FormGroup>
        <FormGroup label="Tags" isRequired fieldId="mirror-tags" labelHelp={<TagPatternsHelp />}>
          <TextInput
            id="mirror-tags"
            isRequired
            value={draft.tags}
            placeholder="latest, v1.*"
            validated={invalid('tags')}
            onChange={(_e, tags) => change({ tags })}
          />
          <Help problem={problems.tags}>Comma-separated tag patterns.</Help>
        </FormGroup>
        <FormGroup label="Start date" isRequired fieldId="mirror-start-date">
          <Split hasGutter isWrappable>
            <SplitItem>
              <DatePicker
                inputProps={{ id: 'mirror-start-date' }}
                aria-label="Start date"
                buttonAriaLabel="Choose the start date"
                value={draft.startDay}
                onChange={(_e, startDay) => change({ startDay })}
              />
            </SplitItem>
            <SplitItem>
              <TimePicker
                id="mirror-start-time"
                aria-label="Start time"
                is24Hour
                time={draft.startTime}
                onChange={(_e, startTime) => change({ startTime })}
              />
            </SplitItem>
          </Split>
          <Help problem={problems.start}>Local time of this browser. The first sync runs then, the next ones one interval apart.</Help>
        </FormGroup>
        <FormGroup label="Sync interval" isRequired fieldId="mirror-interval">
          <InputGroup>
            <InputGroupItem isFill>
              <TextInput
                id="mirror-interval"
                type="number"
                min={1}
                value={draft.intervalValue}
                validated={invalid('interval')}
                onChange={(_e, intervalValue) => change({ intervalValue })}
              />
            </InputGroupItem>
            <InputGroupItem>
              <FormSelect
                id="mirror-interval-unit"
                aria-label="Interval unit"
                value={draft.intervalUnit}
                onChange={(_e, unit) => change({ intervalUnit: unit as IntervalUnit })}
              >
                {units.map((unit) => (
                  <FormSelectOption key={unit} value={unit} label={unit} />
                ))}
              </FormSelect>
            </InputGroupItem>
          </InputGroup>
          <Help problem={problems.interval} />
        </FormGroup>
        <FormGroup label="Robot user" isRequired fieldId="mirror-robot">
          <RobotUserSelect
            id="mirror-robot"
            namespace={props.namespace}
            isOrganization={props.isOrganization}
            value={draft.robot}
            invalid={problems.robot !== undefined}
            onChange={(robot) => change({ robot })}
          />
          <Help problem={problems.robot}>The mirrored tags are written as this robot account.</Help>
        </FormGroup>
      </FormSection>

      <FormSection title="Credentials" titleElement="h2">
        <FormGroup label="Username" fieldId="mirror-username">
          <TextInput
            id="mirror-username"
            value={draft.username}
            autoComplete="off"
            validated={invalid('credentials')}
            onChange={(_e, username) => change({ username })}
          />
        </FormGroup>
        <FormGroup label="Password" fieldId="mirror-password">
          <TextInput
            id="mirror-password"
            type="password"
            value={draft.password}
            autoComplete="new-password"
            placeholder={stored?.external_registry_username ? 'Stored; type to replace it' : ''}
            onChange={(_e, password) => change({ password })}
          />
          <Help problem={problems.credentials}>
            {stored?.external_registry_username
              ? 'The stored password is never shown; leave the field empty to keep it.'
              : 'Only needed when the external registry asks for a login.'}
          </Help>
        </FormGroup>
        {stored?.external_registry_username && (
          <Flex>
            <Button variant="link" isInline isDanger data-testid="mirror-remove-credentials" onClick={() => void removeCredentials()}>
              Remove credentials
            </Button>
          </Flex>
        )}
      </FormSection>

      <FormSection title="Advanced settings" titleElement="h2">
        <FormGroup fieldId="mirror-verify-tls">
          <Checkbox
            id="mirror-verify-tls"
            label="Verify TLS"
            description="Refuse the external registry when its certificate cannot be verified."
            isChecked={draft.verifyTls}
            onChange={(_e, verifyTls) => change({ verifyTls })}
          />
        </FormGroup>
        <FormGroup label="HTTP proxy" fieldId="mirror-http-proxy">
          <TextInput id="mirror-http-proxy" value={draft.httpProxy} placeholder="http://proxy.example.com:3128" onChange={(_e, httpProxy) => change({ httpProxy })} />
        </FormGroup>
        <FormGroup label="HTTPS proxy" fieldId="mirror-https-proxy">
          <TextInput id="mirror-https-proxy" value={draft.httpsProxy} placeholder="http://proxy.example.com:3128" onChange={(_e, httpsProxy) => change({ httpsProxy })} />
        </FormGroup>
        <FormGroup label="No proxy" fieldId="mirror-no-proxy">
          <TextInput id="mirror-no-proxy" value={draft.noProxy} placeholder="localhost,.example.com" onChange={(_e, noProxy) => change({ noProxy })} />
        </FormGroup>
      </FormSection>

      {serverError && (
        <Alert variant="danger" isInline title="Could not save the mirror settings" data-testid="mirror-save-error">
          {serverError}
        </Alert>
      )}
      <ActionGroup>
        <Button type="submit" data-testid="mirror-save" isLoading={save.isPending} isDisabled={save.isPending}>
          Save
        </Button>
      </ActionGroup>
    </Form>
  );
}
