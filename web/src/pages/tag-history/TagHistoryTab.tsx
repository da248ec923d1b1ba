import {
  Alert,
  Button,
  Content,
  Label,
  SearchInput,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMemo, useState } from 'react';
import type { RepositoryTabProps } from '../../api/repository';
import { Loading } from '../../components/Loading';
import { formatDate, shortDigest } from '../../format';
import { DayRangePickers, rangeProblem } from '../logs/DayRangePickers';
import { RestoreTagModal } from './RestoreTagModal';
import { type TagEvent, type TagEventKind, tagEvents } from './tagEvents';
import { useRepositoryTagHistory } from './tagHistoryApi';

const EVENT_LABELS: Record<TagEventKind, { text: string; color: 'green' | 'blue' | 'purple' | 'red' | 'orange' }> = {
  created: { text: 'Created', color: 'green' },
  moved: { text: 'Moved', color: 'blue' },
  restored: { text: 'Restored', color: 'purple' },
  deleted: { text: 'Deleted or expired', color: 'red' },
  'will-expire': { text: 'Will expire', color: 'orange' },
};

function eventSentence(event: TagEvent): string {
  const digest = shortDigest(event.digest);
  const previous = shortDigest(event.previousDigest);
  switch (event.kind) {
    case 'created':
      return previous ? `Pushed again at ${digest}` : `Created at ${digest}`;
    case 'moved':
      return `Moved from ${previous} to ${digest}`;
    case 'restored':
      return previous && previous !== digest ? `Restored to ${digest} (was ${previous})` : `Restored to ${digest}`;
    case 'deleted':
      return `Removed from ${digest}`;
    case 'will-expire':
      return `Expires while pointing at ${digest}`;
  }
}

/** Seconds bounds of local days `from`..`to` inclusive; an empty end is open. */
function dayBounds(from: string, to: string): { startS: number; endS: number } {
  const startS = from ? Date.parse(`${from}T00:00:00`) / 1000 : Number.NEGATIVE_INFINITY;
  const endS = to ? Date.parse(`${to}T00:00:00`) / 1000 + 24 * 60 * 60 : Number.POSITIVE_INFINITY;
  return { startS, endS };
}

/** Every change of every tag of the repository, newest first, with the time machine's restore. */
export function TagHistoryTab({ namespace, name, repository }: RepositoryTabProps) {
  const history = useRepositoryTagHistory(namespace, name);
  const [search, setSearch] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [restoring, setRestoring] = useState<{ tag: string; digest: string }>();
  const events = useMemo(() => (history.data ? tagEvents(history.data.rows, Date.now() / 1000) : []), [history.data]);
  const canRestore = repository.can_write && repository.state === 'NORMAL';

  if (history.isPending) {
    return <Loading what="tag history" />;
  }
  if (history.isError) return <Alert variant="danger" isInline title="Could not load the tag history">{history.error.message}</Alert>;

  const problem = rangeProblem(from, to, true);
  const { startS, endS } = dayBounds(problem ? '' : from, problem ? '' : to);
  const needle = search.trim().toLowerCase();
  const shown = events.filter((e) => e.tag.toLowerCase().includes(needle) && e.at >= startS && e.at < endS);

  return (
    <div data-testid="tag-history">
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput
              aria-label="Search by tag name"
              placeholder="Search by tag name"
              value={search}
              onChange={(_e, value) => setSearch(value)}
              onClear={() => setSearch('')}
            />
          </ToolbarItem>
          <ToolbarItem>
            <DayRangePickers from={from} to={to} onFromChange={setFrom} onToChange={setTo} />
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {problem && <Alert variant="warning" isInline title={problem} />}
      {history.data.truncated && (
        <Alert variant="info" isInline title="Only the newest part of the history is shown: this repository has a very long one." />
      )}
      <Table aria-label="Tag history" variant="compact" data-testid="tag-history-table">
        <Thead>
          <Tr>
            <Th modifier="wrap">When</Th>
            <Th modifier="wrap">Tag</Th>
            <Th modifier="wrap">Event</Th>
            <Th modifier="wrap">Details</Th>
            <Th screenReaderText="Actions" />
          </Tr>
        </Thead>
        <Tbody>
          {shown.map((event) => (
            <HistoryRow
              key={event.id}
              event={event}
              onRestore={canRestore ? (tag, digest) => setRestoring({ tag, digest }) : undefined}
            />
          ))}
        </Tbody>
      </Table>
      {shown.length === 0 && (
        <Content component="p" data-testid="tag-history-empty">
          {events.length === 0 ? 'This repository has no tag history yet.' : 'No tag changes match the search.'}
        </Content>
      )}
      {restoring && <RestoreTagModal namespace={namespace} name={name} {...restoring} onClose={() => setRestoring(undefined)} />}
    </div>
  );
}

function HistoryRow({ event, onRestore }: { event: TagEvent; onRestore?: (tag: string, digest: string) => void }) {
  const label = EVENT_LABELS[event.kind];
  const restorable = event.restorableDigest;
  return (
    <Tr data-testid="tag-history-row" data-tag={event.tag} data-event={event.kind}>
      <Td dataLabel="When">{formatDate(event.at)}</Td>
      <Td dataLabel="Tag" className="qs-wrap-anywhere">
        {event.tag}
      </Td>
      <Td dataLabel="Event">
        <Label color={label.color} isCompact>
          {label.text}
        </Label>
      </Td>
      <Td dataLabel="Details" className="qs-wrap-anywhere">
        {eventSentence(event)}
      </Td>
      <Td dataLabel="Actions">
        {onRestore && restorable && (
          <Button
            variant="secondary"
            size="sm"
            aria-label={`Restore ${event.tag} to ${restorable}`}
            onClick={() => onRestore(event.tag, restorable)}
          >
            Restore {shortDigest(restorable)}
          </Button>
        )}
      </Td>
    </Tr>
  );
}
