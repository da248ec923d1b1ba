import { Alert, Content, PageSection, Tab, Tabs, TabTitleText, Title } from '@patternfly/react-core';
import { useCurrentUser } from '../../api/session';
import { LoadError } from '../../components/LoadError';
import { Loading } from '../../components/Loading';
import { formatBytes } from '../../format';
import { useTab } from '../../hooks/useTab';
import { UsageLogs } from '../logs/UsageLogs';
import { MessagesTab } from './MessagesTab';
import { OrganizationsTab } from './OrganizationsTab';
import { ServiceKeysTab } from './ServiceKeysTab';
import { useRegistrySize } from './superuser-api';
import { UsersTab } from './UsersTab';

/** The stored size of the whole registry, each blob counted once. */
function RegistrySizeSummary() {
  const size = useRegistrySize();
  if (!size.data) return null;
  return (
    <Content component="p" data-testid="registry-size">
      Registry size: <strong>{formatBytes(size.data.size_bytes)}</strong>
    </Content>
  );
}

function SuperuserTabs() {
  const [tab, setTab] = useTab('users');
  return (
    <Tabs activeKey={tab} onSelect={(_e, key) => setTab(String(key))} mountOnEnter unmountOnExit aria-label="Superuser panel">
      <Tab eventKey="users" title={<TabTitleText>Users</TabTitleText>}>
        <UsersTab />
      </Tab>
      <Tab eventKey="organizations" title={<TabTitleText>Organizations</TabTitleText>}>
        <OrganizationsTab />
      </Tab>
      <Tab eventKey="messages" title={<TabTitleText>Global messages</TabTitleText>}>
        <MessagesTab />
      </Tab>
      <Tab eventKey="keys" title={<TabTitleText>Service keys</TabTitleText>}>
        <ServiceKeysTab />
      </Tab>
      <Tab eventKey="logs" title={<TabTitleText>Usage logs</TabTitleText>}>
        <UsageLogs scope={{ kind: 'superuser' }} />
      </Tab>
    </Tabs>
  );
}

/** The superuser panel at /superuser: users, organizations, global messages, service keys, logs. */
export function SuperuserPage() {
  const user = useCurrentUser();
  if (user.isPending) {
    return <Loading />;
  }
  if (user.isError) return <LoadError error={user.error} />;
  if (!user.data?.super_user) {
    return (
      <PageSection>
        <Alert variant="warning" isInline title="Superusers only" data-testid="superuser-only">
          The superuser panel is only for the registry's superusers. Ask an administrator if you need something changed here.
        </Alert>
      </PageSection>
    );
  }
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" data-testid="superuser-title">
          Superuser panel
        </Title>
        <RegistrySizeSummary />
      </PageSection>
      <PageSection>
        <SuperuserTabs />
      </PageSection>
    </>
  );
}
