import {
  EmptyState,
  EmptyStateBody,
  PageSection,
  Tab,
  Tabs,
  TabTitleText,
} from '@patternfly/react-core';
import { ExclamationTriangleIcon } from '@patternfly/react-icons';
import { repoPath } from '../../api/client';
import { LoadError } from '../../components/LoadError';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { useTab } from '../../hooks/useTab';
import { TagDetailsTab } from './TagDetailsTab';
import { TagScanTab } from './TagScanTab';
import { isLive, useTagHistory } from './tagsApi';

function TagNotFound(props: { tag: string }) {
  return (
    <EmptyState titleText="Tag not found" headingLevel="h2" icon={ExclamationTriangleIcon} data-testid="tag-not-found">
      <EmptyStateBody>There is no live tag named “{props.tag}” in this repository.</EmptyStateBody>
    </EmptyState>
  );
}

/** One tag: its details, and the vulnerabilities and packages of its image once scanned. */
export function TagDetailsPage({ namespace, name, tag }: { namespace: string; name: string; tag: string }) {
  const history = useTagHistory(namespace, name, tag);
  const [tab, setTab] = useTab('details');
  const live = history.data?.find((entry) => isLive(entry));
  const firstCreated = Math.min(...(history.data ?? []).map((entry) => entry.start_ts ?? Number.POSITIVE_INFINITY));

  let body: React.ReactNode;
  if (history.isPending) {
    body = (
      <Loading what="tag" />
    );
  } else if (history.isError) {
    body = <LoadError error={history.error} />;
  } else if (!live) {
    body = <TagNotFound tag={tag} />;
  } else {
    const target = { namespace, name, tag: live };
    body = (
      <Tabs activeKey={tab} onSelect={(_e, key) => setTab(String(key))} mountOnEnter unmountOnExit aria-label="Tag">
        <Tab eventKey="details" title={<TabTitleText>Details</TabTitleText>}>
          <TagDetailsTab {...target} createdTs={Number.isFinite(firstCreated) ? firstCreated : undefined} />
        </Tab>
        <Tab eventKey="security" title={<TabTitleText>Security Report</TabTitleText>}>
          <TagScanTab {...target} kind="vulnerabilities" />
        </Tab>
        <Tab eventKey="packages" title={<TabTitleText>Packages</TabTitleText>}>
          <TagScanTab {...target} kind="packages" />
        </Tab>
      </Tabs>
    );
  }

  return (
    <>
      <PageHeader
        crumbs={[
          { label: 'Repositories', to: '/repository' },
          { label: `${namespace}/${name}`, to: `/repository/${repoPath(namespace, name)}`, testId: 'breadcrumb-repository' },
          { label: tag },
        ]}
        title={tag}
        testId="tag-title"
      />
      <PageSection>{body}</PageSection>
    </>
  );
}
