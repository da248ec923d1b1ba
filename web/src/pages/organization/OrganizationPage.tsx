import { PageSection, Tab, Tabs, TabTitleText } from '@patternfly/react-core';
import { useParams } from 'react-router';
import { useOrganization } from '../../api/organization';
import { LoadError } from '../../components/LoadError';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { useTab } from '../../hooks/useTab';
import { DefaultPermissionsTab } from '../default-permissions/DefaultPermissionsTab';
import { UsageLogs } from '../logs/UsageLogs';
import { OrganizationSettings } from '../organizations/OrganizationSettings';
import { RepositoriesTable } from '../repositories/RepositoriesList';
import { RobotsTab } from '../robots/RobotsTab';
import { TeamsTab } from '../teams/TeamsTab';

export function OrganizationPage() {
  const org = useParams()['org'] ?? '';
  const organization = useOrganization(org);
  const [tab, setTab] = useTab('repositories');
  if (organization.isPending) {
    return <Loading what="organization" />;
  }
  if (organization.isError) return <LoadError error={organization.error} />;
  const props = { org, organization: organization.data };
  const isAdmin = organization.data.is_admin === true;
  const isMember = isAdmin || organization.data.is_member === true;
  return (
    <>
      <PageHeader crumbs={[{ label: 'Organizations', to: '/organization' }, { label: org }]} title={org} testId="organization-title" />
      <PageSection>
        <Tabs activeKey={tab} onSelect={(_e, key) => setTab(String(key))} mountOnEnter unmountOnExit aria-label="Organization">
          <Tab eventKey="repositories" title={<TabTitleText>Repositories</TabTitleText>}>
            <RepositoriesTable namespace={org} />
          </Tab>
          {isMember && (
            <Tab eventKey="teams" title={<TabTitleText>Teams and membership</TabTitleText>}>
              <TeamsTab {...props} />
            </Tab>
          )}
          {isAdmin && (
            <Tab eventKey="robots" title={<TabTitleText>Robot accounts</TabTitleText>}>
              <RobotsTab namespace={org} isOrganization />
            </Tab>
          )}
          {isAdmin && (
            <Tab eventKey="defaultpermissions" title={<TabTitleText>Default permissions</TabTitleText>}>
              <DefaultPermissionsTab {...props} />
            </Tab>
          )}
          {isAdmin && (
            <Tab eventKey="logs" title={<TabTitleText>Logs</TabTitleText>}>
              <UsageLogs scope={{ kind: 'organization', org }} />
            </Tab>
          )}
          {isAdmin && (
            <Tab eventKey="settings" title={<TabTitleText>Settings</TabTitleText>}>
              <OrganizationSettings {...props} />
            </Tab>
          )}
        </Tabs>
      </PageSection>
    </>
  );
}
