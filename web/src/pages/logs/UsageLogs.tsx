import {
  Alert,
  Button,
  Content,
  SearchInput,
  Spinner,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { usePublicConfig } from '../../api/session';
import { Loading } from '../../components/Loading';
import { formatDate } from '../../format';
import { DayRangePickers, rangeProblem } from './DayRangePickers';
import { ExportLogsModal } from './ExportLogsModal';
import { LogsChart } from './LogsChart';
import { describeLog, kindTitle } from './logKinds';
import { type DayRange, type LogEntry, type LogScope, useAggregatedLogs, useLogEntries } from './logsApi';

export type { LogScope };

const DAY_MS = 24 * 60 * 60 * 1000;
/** The server counts per day only for ranges under four weeks. */
const MAX_CHART_DAYS = 27;

function utcDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * DAY_MS).toISOString().slice(0, 10);
}

function rangeDays(range: DayRange): number {
  return (Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / DAY_MS + 1;
}

function performerText(entry: LogEntry): string {
  if (!entry.performer) return '(anonymous or system)';
  return entry.performer.is_robot ? `${entry.performer.name} (robot)` : entry.performer.name;
}

function matchesFilter(entry: LogEntry, filter: string): boolean {
  if (filter === '') return true;
  const haystack = [entry.kind, kindTitle(entry.kind), describeLog(entry.kind, entry.metadata), entry.performer?.name, entry.ip, entry.namespace?.name]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
  return haystack.includes(filter.toLowerCase());
}

/** The usage logs of a repository, an organization, the signed-in user or (superusers) everyone. */
export function UsageLogs({ scope }: { scope: LogScope }) {
  const [from, setFrom] = useState(() => utcDay(-6));
  const [to, setTo] = useState(() => utcDay(0));
  const [filter, setFilter] = useState('');
  const [exporting, setExporting] = useState(false);
  const features = usePublicConfig().data?.features ?? {};
  const problem = rangeProblem(from, to);
  const range: DayRange = { from, to };
  const canChart = !problem && features['AGGREGATED_LOG_COUNT_RETRIEVAL'] !== false && rangeDays(range) <= MAX_CHART_DAYS;
  const canExport = scope.kind !== 'superuser' && features['LOG_EXPORT'] !== false;

  return (
    <div data-testid="usage-logs">
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <DayRangePickers from={from} to={to} onFromChange={setFrom} onToChange={setTo} />
          </ToolbarItem>
          <ToolbarItem>
            <SearchInput
              aria-label="Filter logs"
              placeholder="Filter logs"
              value={filter}
              onChange={(_e, value) => setFilter(value)}
              onClear={() => setFilter('')}
            />
          </ToolbarItem>
          {canExport && (
            <ToolbarItem>
              <Button variant="secondary" onClick={() => setExporting(true)} isDisabled={Boolean(problem)}>
                Export
              </Button>
            </ToolbarItem>
          )}
        </ToolbarContent>
      </Toolbar>
      {problem ? (
        <Alert variant="warning" isInline title={problem} data-testid="logs-range-problem" />
      ) : (
        <>
          {canChart && <LogsChartSection scope={scope} range={range} />}
          {!canChart && rangeDays(range) > MAX_CHART_DAYS && (
            <Content component="small">The chart covers ranges of up to {MAX_CHART_DAYS} days.</Content>
          )}
          <LogsTable scope={scope} range={range} filter={filter} />
        </>
      )}
      {exporting && <ExportLogsModal scope={scope} range={range} onClose={() => setExporting(false)} />}
    </div>
  );
}

function LogsChartSection({ scope, range }: { scope: LogScope; range: DayRange }) {
  const counts = useAggregatedLogs(scope, range, true);
  if (counts.isPending) return <Spinner size="md" aria-label="Loading the chart" />;
  if (counts.isError) return <Alert variant="danger" isInline title="Could not count the log entries">{counts.error.message}</Alert>;
  return <LogsChart range={range} counts={counts.data} />;
}

function LogsTable({ scope, range, filter }: { scope: LogScope; range: DayRange; filter: string }) {
  const entries = useLogEntries(scope, range, true);
  if (entries.isPending) {
    return <Loading what="logs" />;
  }
  if (entries.isError) return <Alert variant="danger" isInline title="Could not load the logs">{entries.error.message}</Alert>;
  const all = entries.data.pages.flatMap((page) => page.logs);
  const shown = all.filter((entry) => matchesFilter(entry, filter));
  const showNamespace = scope.kind === 'superuser';
  return (
    <>
      <Table aria-label="Usage logs" variant="compact" data-testid="logs-table">
        <Thead>
          <Tr>
            <Th modifier="wrap">Date and time</Th>
            <Th modifier="wrap">Kind</Th>
            {showNamespace && <Th modifier="wrap">Namespace</Th>}
            <Th modifier="wrap">Performer</Th>
            <Th modifier="wrap">IP address</Th>
            <Th modifier="wrap">Description</Th>
          </Tr>
        </Thead>
        <Tbody>
          {shown.map((entry, index) => (
            // Entries have no id; the list only grows at its end, so positions are stable.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <Tr key={index} data-testid="log-row" data-kind={entry.kind}>
              <Td dataLabel="Date and time">{formatDate(entry.datetime)}</Td>
              <Td dataLabel="Kind">{kindTitle(entry.kind)}</Td>
              {showNamespace && <Td dataLabel="Namespace">{entry.namespace?.name ?? '—'}</Td>}
              <Td dataLabel="Performer" className="qs-wrap-anywhere">
                {performerText(entry)}
              </Td>
              <Td dataLabel="IP address">{entry.ip ?? '—'}</Td>
              <Td dataLabel="Description" className="qs-wrap-anywhere">
                {describeLog(entry.kind, entry.metadata)}
              </Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
      {shown.length === 0 && (
        <Content component="p" data-testid="logs-empty">
          {all.length === 0 ? 'No log entries in this range.' : 'No loaded entries match the filter.'}
        </Content>
      )}
      {entries.hasNextPage && (
        <Button variant="link" onClick={() => entries.fetchNextPage()} isLoading={entries.isFetchingNextPage} isDisabled={entries.isFetchingNextPage}>
          Load more
        </Button>
      )}
    </>
  );
}
