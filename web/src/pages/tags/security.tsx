import { Label, Spinner } from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { api, repoPath } from '../../api/client';

/**
 * Vulnerability scanning is optional: the security resource exists only when the server has a
 * scanner. The UI asks the API discovery document once whether the route exists instead of
 * provoking 404s, and reads every manifest as "not yet scanned" until it does.
 */

const SECURITY_ROUTE = '/api/v1/repository/{repository}/manifest/{manifestref}/security';

interface SecurityFeature {
  Name: string;
  Version?: string;
  Vulnerabilities?: { Severity?: string }[];
}

/** Quay's GET …/manifest/{digest}/security answer. */
export interface SecurityReport {
  status: 'scanned' | 'queued' | 'failed' | 'unsupported';
  data?: { Layer?: { Features?: SecurityFeature[] } } | null;
}

export function useSecurityScanningAvailable(): boolean {
  const discovery = useQuery({
    queryKey: ['api-discovery-has-security'],
    queryFn: async () => {
      const document = await api<{ paths?: Record<string, unknown> }>('/api/v1/discovery');
      return Boolean(document.paths?.[SECURITY_ROUTE]);
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
  return discovery.data === true;
}

export function useSecurityReport(namespace: string, name: string, digest: string | undefined) {
  const available = useSecurityScanningAvailable();
  const report = useQuery({
    queryKey: ['security', namespace, name, digest],
    queryFn: () =>
      api<SecurityReport>(`/api/v1/repository/${repoPath(namespace, name)}/manifest/${digest}/security`, {
        query: { vulnerabilities: true },
      }),
    enabled: available && digest !== undefined,
  });
  return { available, report };
}

function severityCounts(report: SecurityReport): Map<string, number> {
  const counts = new Map<string, number>();
  for (const feature of report.data?.Layer?.Features ?? []) {
    for (const vulnerability of feature.Vulnerabilities ?? []) {
      const severity = vulnerability.Severity ?? 'Unknown';
      counts.set(severity, (counts.get(severity) ?? 0) + 1);
    }
  }
  return counts;
}

/** The words the UI uses for a manifest's scan state. */
export function securityStatusText(report: SecurityReport | undefined): string {
  if (!report) return 'Not yet scanned';
  switch (report.status) {
    case 'queued':
      return 'Queued for scanning';
    case 'failed':
      return 'Could not be scanned';
    case 'unsupported':
      return 'Unsupported';
    default: {
      const counts = severityCounts(report);
      if (counts.size === 0) return 'No known vulnerabilities';
      return [...counts].map(([severity, count]) => `${count} ${severity}`).join(', ');
    }
  }
}

/** The Security cell of a tag row and the Vulnerabilities field of the tag details. */
export function SecuritySummary(props: { namespace: string; name: string; digest: string }) {
  const { available, report } = useSecurityReport(props.namespace, props.name, props.digest);
  if (available && report.isPending) return <Spinner size="sm" aria-label="Loading security status" />;
  const text = available && report.isError ? 'Security status unavailable' : securityStatusText(report.data);
  return (
    <Label isCompact color={report.data?.status === 'scanned' ? 'blue' : 'grey'} data-testid="security-summary">
      {text}
    </Label>
  );
}
