import { Flex, FlexItem, Tab, Tabs, TabTitleText } from '@patternfly/react-core';
import { type ReactNode, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { RepositoryTabProps } from '../../api/repository';
import { NotificationsSection } from './NotificationsSection';
import { PermissionsSection } from './PermissionsSection';
import { DeleteRepositorySection, StateSection, VisibilitySection } from './RepositoryAdminSections';

const SECTIONS = [
  { key: 'permissions', title: 'User and robot permissions' },
  { key: 'notifications', title: 'Events and notifications' },
  { key: 'visibility', title: 'Repository visibility' },
  { key: 'state', title: 'Repository state' },
  { key: 'delete', title: 'Delete repository' },
] as const;

type SectionKey = (typeof SECTIONS)[number]['key'];

/** Vertical section tabs need room beside them; below this width they run across the top. */
const WIDE_ENOUGH = '(min-width: 768px)';
const SECTION_PANEL_ID = 'repository-settings-section';

function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const update = () => setMatches(list.matches);
    update();
    list.addEventListener('change', update);
    return () => list.removeEventListener('change', update);
  }, [query]);
  return matches;
}

/** The chosen section, kept in `?section=` beside the page's `?tab=`. */
function useSection(): [SectionKey, (key: SectionKey) => void] {
  const [params, setParams] = useSearchParams();
  const wanted = params.get('section');
  const section = SECTIONS.find((s) => s.key === wanted)?.key ?? 'permissions';
  return [
    section,
    (key) =>
      setParams((current) => {
        const copy = new URLSearchParams(current);
        copy.set('section', key);
        return copy;
      }),
  ];
}

/** The repository's Settings tab: permissions, notifications, visibility, state and deletion. */
export function RepositorySettings({ namespace, name, repository }: RepositoryTabProps) {
  const [section, setSection] = useSection();
  const vertical = useMediaQuery(WIDE_ENOUGH);
  const repo = { namespace, name };
  const content: Record<SectionKey, ReactNode> = {
    permissions: <PermissionsSection repo={repo} isOrganization={repository.is_organization} />,
    notifications: <NotificationsSection repo={repo} isOrganization={repository.is_organization} />,
    visibility: <VisibilitySection repo={repo} repository={repository} />,
    state: <StateSection repo={repo} repository={repository} />,
    delete: <DeleteRepositorySection repo={repo} />,
  };
  const title = SECTIONS.find((s) => s.key === section)?.title;
  return (
    <Flex direction={{ default: vertical ? 'row' : 'column' }} flexWrap={{ default: 'nowrap' }} className="pf-v6-u-mt-md">
      <FlexItem>
        <Tabs
          activeKey={section}
          onSelect={(_e, key) => setSection(key as SectionKey)}
          isVertical={vertical}
          isBox={vertical}
          aria-label="Repository settings"
          data-testid="repository-settings"
        >
          {SECTIONS.map((s) => (
            <Tab key={s.key} eventKey={s.key} title={<TabTitleText>{s.title}</TabTitleText>} tabContentId={SECTION_PANEL_ID} />
          ))}
        </Tabs>
      </FlexItem>
      <FlexItem flex={{ default: 'flex_1' }} style={{ minWidth: 0 }} id={SECTION_PANEL_ID} role="tabpanel" aria-label={title}>
        {content[section]}
      </FlexItem>
    </Flex>
  );
}
