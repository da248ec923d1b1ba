import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, repoPath } from '../../api/client';

/** Whose usage logs to show: GET /api/v1/{repository/ns/name | organization/org | user | superuser}/logs. */
export type LogScope =
  | { kind: 'repository'; namespace: string; name: string }
  | { kind: 'organization'; org: string }
  | { kind: 'user' }
  | { kind: 'superuser' };

/** The usage-log endpoints of a scope: GET logs and aggregatelogs, POST exportlogs. */

export interface LogEntry {
  kind: string;
  metadata: Record<string, unknown> | null;
  ip: string | null;
  datetime: string;
  performer?: { name: string; is_robot: boolean };
  namespace?: { name: string };
}

interface LogsPage {
  start_time: string;
  end_time: string;
  logs: LogEntry[];
  next_page?: string;
}

export interface AggregatedCount {
  kind: string;
  count: number;
  datetime: string;
}

/** A range of whole days in UTC, as `YYYY-MM-DD` (what the date pickers hold). */
export interface DayRange {
  from: string;
  to: string;
}

export function scopeBasePath(scope: LogScope): string {
  switch (scope.kind) {
    case 'repository':
      return `/api/v1/repository/${repoPath(scope.namespace, scope.name)}`;
    case 'organization':
      return `/api/v1/organization/${encodeURIComponent(scope.org)}`;
    case 'user':
      return '/api/v1/user';
    case 'superuser':
      return '/api/v1/superuser';
  }
}

/** Quay reads starttime and endtime as `MM/DD/YYYY` days in UTC. */
export function quayDay(isoDay: string): string {
  const [year, month, day] = isoDay.split('-');
  return `${month}/${day}/${year}`;
}

function rangeQuery(range: DayRange) {
  return { starttime: quayDay(range.from), endtime: quayDay(range.to) };
}

function logsKey(scope: LogScope) {
  return ['usage-logs', scopeBasePath(scope)] as const;
}

export function useLogEntries(scope: LogScope, range: DayRange, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: [...logsKey(scope), 'entries', range.from, range.to],
    enabled,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      api<LogsPage>(`${scopeBasePath(scope)}/logs`, { query: { ...rangeQuery(range), next_page: pageParam } }),
    getNextPageParam: (last) => last.next_page,
  });
}

export function useAggregatedLogs(scope: LogScope, range: DayRange, enabled: boolean) {
  return useQuery({
    queryKey: [...logsKey(scope), 'aggregated', range.from, range.to],
    enabled,
    queryFn: async () =>
      (await api<{ aggregated: AggregatedCount[] }>(`${scopeBasePath(scope)}/aggregatelogs`, { query: rangeQuery(range) })).aggregated,
  });
}

export type ExportTarget = { callback_url: string } | { callback_email: string };

export function useExportLogs(scope: LogScope, range: DayRange) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (target: ExportTarget) =>
      api<{ export_id: string }>(`${scopeBasePath(scope)}/exportlogs`, { method: 'POST', query: rangeQuery(range), body: target }),
    // The export writes an export_logs_success entry into these very logs.
    onSettled: () => queryClient.invalidateQueries({ queryKey: logsKey(scope) }),
  });
}
