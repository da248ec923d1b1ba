import { Button, Dropdown, DropdownItem, DropdownList, Flex, MenuToggle, Spinner } from '@patternfly/react-core';
import { EllipsisVIcon } from '@patternfly/react-icons';
import { Tbody, Td, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { Link } from 'react-router';
import { repoPath } from '../../api/client';
import type { TagView } from '../../api/tags';
import { formatBytes, parseApiDate, shortDigest } from '../../format';
import { PullPopover } from './PullCommands';
import { SecuritySummary } from './security';
import { platformName, useChildManifests } from './tagsApi';

/** A date that may wrap between its day and its time, never inside either. */
function DateText(props: { value: string | undefined }) {
  const date = parseApiDate(props.value);
  if (!date) return <span>Never</span>;
  // One element: a stacked (narrow) table cell lays out each of its children separately.
  return (
    <span>
      <span style={{ whiteSpace: 'nowrap' }}>{date.toLocaleDateString(undefined, { dateStyle: 'medium' })}</span>{' '}
      <span style={{ whiteSpace: 'nowrap' }}>{date.toLocaleTimeString(undefined, { timeStyle: 'short' })}</span>
    </span>
  );
}

export type TagAction = 'labels' | 'expiration' | 'delete';

export function tagDetailsLink(namespace: string, name: string, tag: string): string {
  return `/repository/${repoPath(namespace, name)}/tag/${encodeURIComponent(tag)}`;
}

function TagKebab(props: { tag: string; onAction(action: TagAction): void }) {
  const [open, setOpen] = useState(false);
  const choose = (action: TagAction) => {
    setOpen(false);
    props.onAction(action);
  };
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      popperProps={{ position: 'right' }}
      toggle={(ref) => (
        <MenuToggle ref={ref} variant="plain" aria-label={`Actions for tag ${props.tag}`} onClick={() => setOpen(!open)} isExpanded={open} icon={<EllipsisVIcon />} />
      )}
    >
      <DropdownList>
        <DropdownItem onClick={() => choose('labels')}>Edit labels</DropdownItem>
        <DropdownItem onClick={() => choose('expiration')}>Change expiration</DropdownItem>
        <DropdownItem onClick={() => choose('delete')} isDanger>
          Delete
        </DropdownItem>
      </DropdownList>
    </Dropdown>
  );
}

/** The platforms of a manifest list, shown when its row is expanded. */
function ChildManifestRows(props: { namespace: string; name: string; tag: TagView; isExpanded: boolean; columns: number }) {
  const { isPending, error, children } = useChildManifests(props.namespace, props.name, props.tag, props.isExpanded);
  if (!props.isExpanded) return null;
  if (isPending || error) {
    return (
      <Tr isExpanded>
        <Td colSpan={props.columns}>{isPending ? <Spinner size="md" aria-label="Loading platforms" /> : `Could not load the platforms: ${error?.message}`}</Td>
      </Tr>
    );
  }
  return children.map((child) => (
    <Tr key={child.digest} isExpanded data-testid="child-manifest-row">
      <Td />
      <Td />
      <Td dataLabel="Platform">{platformName(child.platform)}</Td>
      <Td dataLabel="Security">
        {child.isPresent ? <SecuritySummary namespace={props.namespace} name={props.name} digest={child.digest} /> : 'Not present'}
      </Td>
      <Td dataLabel="Size">{child.isPresent ? formatBytes(child.size) : '—'}</Td>
      <Td />
      <Td />
      <Td dataLabel="Manifest">
        <code>{shortDigest(child.digest)}</code>
      </Td>
      <Td />
    </Tr>
  ));
}

export const TAG_TABLE_COLUMNS = 9;

/** One tag: its row, and for a manifest list the rows of its platforms. */
export function TagRows(props: {
  namespace: string;
  name: string;
  tag: TagView;
  rowIndex: number;
  canEdit: boolean;
  isSelected: boolean;
  onSelect(selected: boolean): void;
  onAction(action: TagAction): void;
}) {
  const [isExpanded, setExpanded] = useState(false);
  const { tag } = props;
  return (
    <Tbody isExpanded={isExpanded}>
      <Tr data-testid={`tag-row-${tag.name}`}>
        <Td
          select={props.canEdit ? { rowIndex: props.rowIndex, isSelected: props.isSelected, onSelect: (_e, selected) => props.onSelect(selected) } : undefined}
          aria-label={props.canEdit ? undefined : 'Not selectable'}
        />
        <Td
          expand={tag.is_manifest_list ? { rowIndex: props.rowIndex, isExpanded, onToggle: () => setExpanded(!isExpanded) } : undefined}
        />
        <Td dataLabel="Tag" modifier="breakWord">
          <Link to={tagDetailsLink(props.namespace, props.name, tag.name)}>{tag.name}</Link>
        </Td>
        <Td dataLabel="Security">
          {tag.is_manifest_list ? (
            <Button variant="link" isInline onClick={() => setExpanded(!isExpanded)}>
              See child manifests
            </Button>
          ) : (
            <SecuritySummary namespace={props.namespace} name={props.name} digest={tag.manifest_digest} />
          )}
        </Td>
        <Td dataLabel="Size" modifier="nowrap">{tag.is_manifest_list && tag.size === null ? '—' : formatBytes(tag.size)}</Td>
        <Td dataLabel="Last modified">
          <DateText value={tag.last_modified} />
        </Td>
        <Td dataLabel="Expires" data-testid="tag-expires">
          {props.canEdit ? (
            <Button variant="link" isInline onClick={() => props.onAction('expiration')}>
              <DateText value={tag.expiration} />
            </Button>
          ) : (
            <DateText value={tag.expiration} />
          )}
        </Td>
        <Td dataLabel="Manifest">
          <code title={tag.manifest_digest}>{shortDigest(tag.manifest_digest)}</code>
        </Td>
        <Td isActionCell>
          <Flex flexWrap={{ default: 'nowrap' }} gap={{ default: 'gapNone' }} justifyContent={{ default: 'justifyContentFlexEnd' }}>
            <PullPopover namespace={props.namespace} name={props.name} tag={tag.name} digest={tag.manifest_digest} />
            {props.canEdit && <TagKebab tag={tag.name} onAction={props.onAction} />}
          </Flex>
        </Td>
      </Tr>
      {tag.is_manifest_list && (
        <ChildManifestRows namespace={props.namespace} name={props.name} tag={tag} isExpanded={isExpanded} columns={TAG_TABLE_COLUMNS} />
      )}
    </Tbody>
  );
}
