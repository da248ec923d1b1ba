import {
  ClipboardCopy,
  DescriptionList,
  Label,
  LabelGroup,
  List,
  ListItem,
  Spinner,
} from '@patternfly/react-core';
import { Link } from 'react-router';
import { repoPath } from '../../api/client';
import type { TagView } from '../../api/tags';
import { DescriptionField } from '../../components/DescriptionField';
import { formatBytes, formatDate } from '../../format';
import { PullCommandList } from './PullCommands';
import { SecuritySummary } from './security';
import { platformName, useChildManifests, useManifestLabels } from './tagsApi';

interface TagTarget {
  namespace: string;
  name: string;
  tag: TagView;
}

function ManifestLabels({ namespace, name, tag }: TagTarget) {
  const labels = useManifestLabels(namespace, name, tag.manifest_digest);
  if (labels.isPending) return <Spinner size="sm" aria-label="Loading labels" />;
  if (labels.isError) return <>Could not load the labels: {labels.error.message}</>;
  if (labels.data.length === 0) return <>None</>;
  return (
    <LabelGroup numLabels={10} aria-label="Labels">
      {labels.data.map((label) => (
        <Label key={label.id} variant="outline" isCompact>
          {label.key}={label.value}
        </Label>
      ))}
    </LabelGroup>
  );
}

function Platforms({ namespace, name, tag }: TagTarget) {
  const { isPending, error, children } = useChildManifests(namespace, name, tag, true);
  if (isPending) return <Spinner size="sm" aria-label="Loading platforms" />;
  if (error) return <>Could not load the platforms: {error.message}</>;
  return (
    <List isPlain>
      {children.map((child) => (
        <ListItem key={child.digest}>
          {platformName(child.platform)}: <code>{child.digest}</code>
          {child.isPresent ? ` (${formatBytes(child.size)})` : ' (not present)'}
        </ListItem>
      ))}
    </List>
  );
}

/** What the tag is: name, digest, dates, size, labels, and how to pull it. */
export function TagDetailsTab(props: TagTarget & { createdTs?: number }) {
  const { namespace, name, tag } = props;
  return (
    <DescriptionList isHorizontal isCompact horizontalTermWidthModifier={{ default: '12ch', md: '18ch' }} data-testid="tag-details">
      <DescriptionField term="Name" testId="tag-name">
        {tag.name}
      </DescriptionField>
      <DescriptionField term="Repository">
        <Link to={`/repository/${repoPath(namespace, name)}`}>
          {namespace}/{name}
        </Link>
      </DescriptionField>
      <DescriptionField term="Digest" testId="tag-digest">
        <ClipboardCopy isReadOnly variant="inline-compact" hoverTip="Copy" clickTip="Copied">
          {tag.manifest_digest}
        </ClipboardCopy>
      </DescriptionField>
      <DescriptionField term="Vulnerabilities">
        {tag.is_manifest_list ? 'See each platform' : <SecuritySummary namespace={namespace} name={name} digest={tag.manifest_digest} />}
      </DescriptionField>
      <DescriptionField term="Created" testId="tag-created">
        {formatDate(props.createdTs ?? tag.start_ts)}
      </DescriptionField>
      <DescriptionField term="Modified" testId="tag-modified">
        {formatDate(tag.last_modified)}
      </DescriptionField>
      <DescriptionField term="Expires" testId="tag-expiration">
        {formatDate(tag.expiration)}
      </DescriptionField>
      <DescriptionField term="Size" testId="tag-size">
        {tag.is_manifest_list && tag.size === null ? '—' : formatBytes(tag.size)}
      </DescriptionField>
      {tag.is_manifest_list && (
        <DescriptionField term="Platforms" testId="tag-platforms">
          <Platforms {...props} />
        </DescriptionField>
      )}
      <DescriptionField term="Labels" testId="tag-labels">
        <ManifestLabels {...props} />
      </DescriptionField>
      <DescriptionField term="Fetch the tag">
        <PullCommandList namespace={namespace} name={name} tag={tag.name} digest={tag.manifest_digest} />
      </DescriptionField>
    </DescriptionList>
  );
}
