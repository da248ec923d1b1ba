import { Button, Content, Label, Title, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core';
import { ActionsColumn, type IAction, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { LoadError } from '../../components/LoadError';
import { Loading } from '../../components/Loading';
import { useToasts } from '../../components/Toasts';
import { CreateNotificationModal } from './CreateNotificationModal';
import { destination, eventConfigSummary, eventLabel, methodLabel } from './notificationOptions';
import { type RepositoryNotification, type RepositoryRef, useNotificationActions, useNotifications } from './settingsApi';

function NotificationRow(props: { repo: RepositoryRef; notification: RepositoryNotification }) {
  const { notification } = props;
  const actions = useNotificationActions(props.repo);
  const toasts = useToasts();
  const name = notification.title || eventLabel(notification.event);

  async function run(action: () => Promise<unknown>, done: string, failed: string) {
    try {
      await action();
      toasts.success(done);
    } catch (err) {
      toasts.failure(failed, err);
    }
  }

  const items: IAction[] = [
    {
      title: 'Test notification',
      onClick: () => void run(() => actions.test.mutateAsync(notification.uuid), `Queued a test of "${name}"`, `Could not test "${name}"`),
    },
    ...(notification.number_of_failures > 0
      ? [
          {
            title: 'Reset failures',
            onClick: () =>
              void run(() => actions.reset.mutateAsync(notification.uuid), `"${name}" will be delivered again`, `Could not reset "${name}"`),
          },
        ]
      : []),
    { isSeparator: true },
    {
      title: 'Delete notification',
      isDanger: true,
      onClick: () => void run(() => actions.remove.mutateAsync(notification.uuid), `Deleted "${name}"`, `Could not delete "${name}"`),
    },
  ];
  const filter = eventConfigSummary(notification.event, notification.event_config);
  const target = destination(notification.method, notification.config);

  return (
    <Tr data-notification={notification.uuid}>
      <Td dataLabel="Title" className="qs-wrap-anywhere">
        {notification.title || '(untitled)'}
      </Td>
      <Td dataLabel="Event">
        {eventLabel(notification.event)}
        {filter && <div className="pf-v6-u-font-size-sm">{filter}</div>}
      </Td>
      <Td dataLabel="Notification" className="qs-wrap-anywhere">
        {methodLabel(notification.method)}
        {target && <div className="pf-v6-u-font-size-sm">{target}</div>}
      </Td>
      <Td dataLabel="Status">
        {notification.number_of_failures > 0 ? (
          <Label color="red" isCompact>
            {notification.number_of_failures} failed {notification.number_of_failures === 1 ? 'delivery' : 'deliveries'}
          </Label>
        ) : (
          <Label color="green" isCompact>
            OK
          </Label>
        )}
      </Td>
      <Td isActionCell>
        <ActionsColumn items={items} popperProps={{ position: 'right' }} />
      </Td>
    </Tr>
  );
}

/** "Events and notifications": what the repository reports, where, and whether delivery works. */
export function NotificationsSection(props: { repo: RepositoryRef; isOrganization: boolean }) {
  const notifications = useNotifications(props.repo);
  const [creating, setCreating] = useState(false);
  return (
    <section data-testid="settings-notifications">
      <Title headingLevel="h2">Events and notifications</Title>
      <Content component="p">Send a webhook, Slack message, e-mail or in-registry notice when something happens in this repository.</Content>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <Button onClick={() => setCreating(true)}>Create notification</Button>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {notifications.isPending && (
        <Loading what="notifications" />
      )}
      {notifications.isError && <LoadError error={notifications.error} />}
      {notifications.data && (
        <Table aria-label="Notifications" variant="compact" data-testid="notifications-table">
          <Thead>
            <Tr>
              <Th>Title</Th>
              <Th>Event</Th>
              <Th>Notification</Th>
              <Th>Status</Th>
              <Th screenReaderText="Actions" />
            </Tr>
          </Thead>
          <Tbody>
            {notifications.data.length === 0 ? (
              <Tr>
                <Td colSpan={5}>No notifications have been created for this repository.</Td>
              </Tr>
            ) : (
              notifications.data.map((notification) => <NotificationRow key={notification.uuid} repo={props.repo} notification={notification} />)
            )}
          </Tbody>
        </Table>
      )}
      {creating && <CreateNotificationModal repo={props.repo} isOrganization={props.isOrganization} onClose={() => setCreating(false)} />}
    </section>
  );
}
