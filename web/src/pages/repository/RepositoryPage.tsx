import { Label, PageSection, Tab, Tabs, TabTitleText } from '@patternfly/react-core';
import { useParams } from 'react-router';
import { useRepository } from '../../api/repository';
import { usePublicConfig } from '../../api/session';
import { LoadError } from '../../components/LoadError';
import { Loading } from '../../components/Loading';
import { PageHeader } from '../../components/PageHeader';
import { useTab } from '../../hooks/useTab';
import { UsageLogs } from '../logs/UsageLogs';
import { MirroringTab } from '../mirroring/MirroringTab';
import { RepositorySettings } from '../repository-settings/RepositorySettings';
import { TagHistoryTab } from '../tag-history/TagHistoryTab';
import { TagDetailsPage } from '../tags/TagDetailsPage';
import { TagsTab } from '../tags/TagsTab';

/**
 * Splits the path after /repository/: `ns/name[/more/segments]` or `.../tag/<tag>`. Repository
 * names may be nested, which is why "tag" may not be a repository name segment.
 */
export function parseRepositoryPath(splat: string): { namespace: string; name: string; tag?: string } | undefined {
  const segments = splat.split('/').filter(Boolean);
  const tagIndex = segments.indexOf('tag');
  const repoSegments = tagIndex >= 0 ? segments.slice(0, tagIndex) : segments;
  const [namespace, ...rest] = repoSegments;
  if (!namespace || rest.length === 0) return undefined;
  const tag = tagIndex >= 0 ? segments.slice(tagIndex + 1).join('/') : undefined;
  return { namespace, name: rest.join('/'), ...(tag ? { tag } : {}) };
}

export function RepositoryRoute() {
  const params = useParams();
  const parsed = parseRepositoryPath(params['*'] ?? '');
  if (!parsed) return <LoadError error={new Error('This address does not name a repository.')} />;
  if (parsed.tag) return <TagDetailsPage namespace={parsed.namespace} name={parsed.name} tag={parsed.tag} />;
  return <RepositoryPage namespace={parsed.namespace} name={parsed.name} />;
}

function RepositoryPage({ namespace, name }: { namespace: string; name: string }) {
  const repository = useRepository(namespace, name);
  const mirroringOn = usePublicConfig().data?.features['REPO_MIRROR'] === true;
  const [tab, setTab] = useTab('tags');
  if (repository.isPending) {
    return <Loading what="repository" />;
  }
  if (repository.isError) return <LoadError error={repository.error} />;
  const repo = repository.data;
  const props = { namespace, name, repository: repo };
  const namespaceLink = repo.is_organization ? `/organization/${encodeURIComponent(namespace)}` : `/user/${encodeURIComponent(namespace)}`;
  return (
    <>
      <PageHeader
        crumbs={[{ label: 'Repositories', to: '/repository' }, { label: namespace, to: namespaceLink }, { label: name }]}
        testId="repository-title"
        title={
          <>
          {namespace}/{name}{' '}
          <Label color={repo.is_public ? 'green' : 'grey'} isCompact>
            {repo.is_public ? 'public' : 'private'}
          </Label>
          {repo.state !== 'NORMAL' && (
            <Label color="orange" isCompact>
              {repo.state === 'MIRROR' ? 'mirror' : 'read-only'}
            </Label>
          )}
          </>
        }
      />
      <PageSection>
        <Tabs activeKey={tab} onSelect={(_e, key) => setTab(String(key))} mountOnEnter unmountOnExit aria-label="Repository">
          <Tab eventKey="tags" title={<TabTitleText>Tags</TabTitleText>}>
            <TagsTab {...props} />
          </Tab>
          <Tab eventKey="history" title={<TabTitleText>Tag history</TabTitleText>}>
            <TagHistoryTab {...props} />
          </Tab>
          {repo.can_admin && (
            <Tab eventKey="logs" title={<TabTitleText>Logs</TabTitleText>}>
              <UsageLogs scope={{ kind: 'repository', namespace, name }} />
            </Tab>
          )}
          {repo.can_admin && repo.state === 'MIRROR' && mirroringOn && (
            <Tab eventKey="mirroring" title={<TabTitleText>Mirroring</TabTitleText>}>
              <MirroringTab {...props} />
            </Tab>
          )}
          {repo.can_admin && (
            <Tab eventKey="settings" title={<TabTitleText>Settings</TabTitleText>}>
              <RepositorySettings {...props} />
            </Tab>
          )}
        </Tabs>
      </PageSection>
    </>
  );
}
