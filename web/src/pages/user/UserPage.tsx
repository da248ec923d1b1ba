import { PageSection, Tab, Tabs, TabTitleText } from '@patternfly/react-core';
import { useParams } from 'react-router';
import { useCurrentUser } from '../../api/session';
import { useTab } from '../../hooks/useTab';
import { PageHeader } from '../../components/PageHeader';
import { UsageLogs } from '../logs/UsageLogs';
import { RepositoriesTable } from '../repositories/RepositoriesList';
import { RobotsTab } from '../robots/RobotsTab';
import { AppearanceSettings } from './AppearanceSettings';

/** A user's namespace; its robots, logs and settings only for the user themselves. */
export function UserPage() {
  const username = useParams()['username'] ?? '';
  const me = useCurrentUser().data;
  const isSelf = me?.username === username;
  const [tab, setTab] = useTab('repositories');
  return (
    <>
      <PageHeader crumbs={[{ label: 'Repositories', to: '/repository' }, { label: username }]} title={username} testId="user-title" />
      <PageSection>
        <Tabs activeKey={tab} onSelect={(_e, key) => setTab(String(key))} mountOnEnter unmountOnExit aria-label="User">
          <Tab eventKey="repositories" title={<TabTitleText>Repositories</TabTitleText>}>
            <RepositoriesTable namespace={username} />
          </Tab>
          {isSelf && (
            <Tab eventKey="robots" title={<TabTitleText>Robot accounts</TabTitleText>}>
              <RobotsTab namespace={username} isOrganization={false} />
            </Tab>
          )}
          {isSelf && (
            <Tab eventKey="logs" title={<TabTitleText>Logs</TabTitleText>}>
              <UsageLogs scope={{ kind: 'user' }} />
            </Tab>
          )}
          {isSelf && (
            <Tab eventKey="settings" title={<TabTitleText>Settings</TabTitleText>}>
              <AppearanceSettings />
            </Tab>
          )}
        </Tabs>
      </PageSection>
    </>
  );
}
