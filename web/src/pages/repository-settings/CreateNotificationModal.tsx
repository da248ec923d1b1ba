import {
  Alert,
  Button,
  Form,
  FormGroup,
  FormHelperText,
  FormSelect,
  FormSelectOption,
  HelperText,
  HelperTextItem,
  Label,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  TextArea,
  TextInput,
} from '@patternfly/react-core';
import { useState } from 'react';
import { usePublicConfig } from '../../api/session';
import { type Entity, EntityPicker } from '../../components/EntityPicker';
import { useToasts } from '../../components/Toasts';
import { available, EVENTS, type EventOption, MAX_EXPIRY_DAYS, METHODS, type MethodName, SEVERITIES } from './notificationOptions';
import { type NewNotification, type RepositoryRef, useNotificationActions } from './settingsApi';

/** How a webhook template refers to a field of the event. */
const TEMPLATE_EXAMPLE = ['$', '{repository}'].join('');

interface EventSettings {
  severity: string;
  days: string;
  refRegex: string;
}

interface MethodSettings {
  url: string;
  template: string;
  email: string;
  target?: Entity;
}

function eventConfig(event: EventOption | undefined, settings: EventSettings): Record<string, unknown> {
  if (event?.config === 'severity') return { level: Number(settings.severity) };
  if (event?.config === 'days') return { days: Number(settings.days) };
  if (event?.config === 'ref-regex' && settings.refRegex.trim()) return { 'ref-regex': settings.refRegex.trim() };
  return {};
}

function methodConfig(method: MethodName, settings: MethodSettings): Record<string, unknown> {
  switch (method) {
    case 'webhook':
      return settings.template.trim() ? { url: settings.url.trim(), template: settings.template } : { url: settings.url.trim() };
    case 'slack':
      return { url: settings.url.trim() };
    case 'email':
      return { email: settings.email.trim() };
    case 'quay_notification':
      return settings.target ? { target: { kind: settings.target.kind, name: settings.target.name } } : {};
  }
}

/** What is missing before the notification can be sent to the server; undefined when nothing. */
function missing(event: EventOption | undefined, eventSettings: EventSettings, method: MethodName, settings: MethodSettings): string | undefined {
  if (!event) return 'Choose an event.';
  if (event.config === 'days') {
    const days = Number(eventSettings.days);
    if (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRY_DAYS) return `Enter a number of days from 1 to ${MAX_EXPIRY_DAYS}.`;
  }
  if ((method === 'webhook' || method === 'slack') && !settings.url.trim()) return 'Enter the URL to POST to.';
  if (method === 'email' && !settings.email.trim()) return 'Enter an e-mail address.';
  if (method === 'quay_notification' && !settings.target) return 'Choose who receives the notification.';
  return undefined;
}

function EventConfigFields(props: { event: EventOption | undefined; settings: EventSettings; onChange(settings: EventSettings): void }) {
  const { event, settings } = props;
  if (event?.config === 'severity') {
    return (
      <FormGroup label="Minimum severity" fieldId="notification-severity">
        <FormSelect id="notification-severity" value={settings.severity} onChange={(_e, severity) => props.onChange({ ...settings, severity })}>
          {SEVERITIES.map((severity, index) => (
            <FormSelectOption key={severity} value={String(index)} label={severity} />
          ))}
        </FormSelect>
      </FormGroup>
    );
  }
  if (event?.config === 'days') {
    return (
      <FormGroup label="Days before the tag expires" fieldId="notification-days" isRequired>
        <TextInput id="notification-days" type="number" min={1} max={MAX_EXPIRY_DAYS} value={settings.days} onChange={(_e, days) => props.onChange({ ...settings, days })} />
      </FormGroup>
    );
  }
  if (event?.config === 'ref-regex') {
    return (
      <FormGroup label="Only for git refs matching (regular expression, optional)" fieldId="notification-ref-regex">
        <TextInput id="notification-ref-regex" value={settings.refRegex} placeholder="refs/heads/main" onChange={(_e, refRegex) => props.onChange({ ...settings, refRegex })} />
      </FormGroup>
    );
  }
  return null;
}

function MethodConfigFields(props: { repo: RepositoryRef; isOrganization: boolean; method: MethodName; settings: MethodSettings; onChange(settings: MethodSettings): void }) {
  const { method, settings } = props;
  if (method === 'webhook' || method === 'slack') {
    return (
      <>
        <FormGroup label={method === 'slack' ? 'Slack webhook URL' : 'Webhook URL'} fieldId="notification-url" isRequired>
          <TextInput id="notification-url" type="url" value={settings.url} placeholder="https://" onChange={(_e, url) => props.onChange({ ...settings, url })} />
        </FormGroup>
        {method === 'webhook' && (
          <FormGroup label="POST body template (JSON, optional)" fieldId="notification-template">
            <TextArea
              id="notification-template"
              value={settings.template}
              resizeOrientation="vertical"
              onChange={(_e, template) => props.onChange({ ...settings, template })}
            />
            <FormHelperText>
              <HelperText>
                <HelperTextItem>Leave empty to send the event as it is. {TEMPLATE_EXAMPLE} inserts a field of the event.</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
        )}
      </>
    );
  }
  if (method === 'email') {
    return (
      <FormGroup label="E-mail address" fieldId="notification-email" isRequired>
        <TextInput id="notification-email" type="email" value={settings.email} onChange={(_e, email) => props.onChange({ ...settings, email })} />
      </FormGroup>
    );
  }
  return (
    <FormGroup label="Recipient" fieldId="notification-target" isRequired>
      {settings.target ? (
        <Label onClose={() => props.onChange({ ...settings, target: undefined })}>{settings.target.name}</Label>
      ) : (
        <EntityPicker
          id="notification-target"
          namespace={props.repo.namespace}
          includeTeams={props.isOrganization}
          accept={(entity) => !entity.is_robot}
          placeholder="Search for a user or team"
          onSelect={(target) => props.onChange({ ...settings, target })}
        />
      )}
    </FormGroup>
  );
}

/** "Create notification": an event, how it is delivered, and the settings of both. */
export function CreateNotificationModal(props: { repo: RepositoryRef; isOrganization: boolean; onClose(): void }) {
  const features = usePublicConfig().data?.features;
  const events = available(EVENTS, features);
  const methods = available(METHODS, features);
  const [title, setTitle] = useState('');
  const [eventName, setEventName] = useState(events[0]?.name ?? 'repo_push');
  const [eventSettings, setEventSettings] = useState<EventSettings>({ severity: '1', days: '7', refRegex: '' });
  const [method, setMethod] = useState<MethodName>('webhook');
  const [methodSettings, setMethodSettings] = useState<MethodSettings>({ url: '', template: '', email: '' });
  const [problem, setProblem] = useState<string>();
  const { create } = useNotificationActions(props.repo);
  const toasts = useToasts();
  const event = events.find((option) => option.name === eventName);

  async function submit() {
    const missingField = missing(event, eventSettings, method, methodSettings);
    setProblem(missingField);
    if (missingField) return;
    const notification: NewNotification = {
      event: eventName,
      method,
      config: methodConfig(method, methodSettings),
      eventConfig: eventConfig(event, eventSettings),
      ...(title.trim() ? { title: title.trim() } : {}),
    };
    try {
      await create.mutateAsync(notification);
      toasts.success('Created the notification');
      props.onClose();
    } catch {
      // Shown in the modal from create.error.
    }
  }

  const error = problem ?? create.error?.message;
  return (
    <Modal variant="medium" isOpen onClose={props.onClose} aria-labelledby="create-notification-title">
      <ModalHeader title="Create notification" labelId="create-notification-title" />
      <ModalBody>
        {error && (
          <Alert variant="danger" isInline title="Could not create the notification" data-testid="create-notification-error">
            {error}
          </Alert>
        )}
        <Form
          id="create-notification-form"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <FormGroup label="When this happens" fieldId="notification-event" isRequired>
            <FormSelect id="notification-event" value={eventName} onChange={(_e, value) => setEventName(value)}>
              {events.map((option) => (
                <FormSelectOption key={option.name} value={option.name} label={option.label} />
              ))}
            </FormSelect>
          </FormGroup>
          <EventConfigFields event={event} settings={eventSettings} onChange={setEventSettings} />
          <FormGroup label="Then issue" fieldId="notification-method" isRequired>
            <FormSelect id="notification-method" value={method} onChange={(_e, value) => setMethod(value as MethodName)}>
              {methods.map((option) => (
                <FormSelectOption key={option.name} value={option.name} label={option.label} />
              ))}
            </FormSelect>
          </FormGroup>
          <MethodConfigFields repo={props.repo} isOrganization={props.isOrganization} method={method} settings={methodSettings} onChange={setMethodSettings} />
          <FormGroup label="Title (optional)" fieldId="notification-title">
            <TextInput id="notification-title" value={title} onChange={(_e, value) => setTitle(value)} />
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="create-notification-form" isLoading={create.isPending} isDisabled={create.isPending}>
          Submit
        </Button>
        <Button variant="link" onClick={props.onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
