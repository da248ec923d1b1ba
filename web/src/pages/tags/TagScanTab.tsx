import { EmptyState, EmptyStateBody } from '@patternfly/react-core';
import { SecurityIcon } from '@patternfly/react-icons';
import type { TagView } from '../../api/tags';
import { Loading } from '../../components/Loading';
import { securityStatusText, useSecurityReport } from './security';

const NOUN = { vulnerabilities: 'vulnerabilities', packages: 'packages' } as const;

/**
 * The Security Report and Packages tabs. Until the registry scans images (and for manifest lists,
 * whose platforms are scanned one by one) they explain why there is nothing to show.
 */
export function TagScanTab(props: { namespace: string; name: string; tag: TagView; kind: keyof typeof NOUN }) {
  const digest = props.tag.is_manifest_list ? undefined : props.tag.manifest_digest;
  const { available, report } = useSecurityReport(props.namespace, props.name, digest);
  if (available && digest && report.isPending) {
    return <Loading what="the security report" />;
  }
  const title = props.tag.is_manifest_list ? 'Choose a platform' : securityStatusText(report.data);
  let body = `This image has not been scanned for ${NOUN[props.kind]} yet. Its report appears here once the registry has scanned it.`;
  if (props.tag.is_manifest_list) {
    body = `This tag is a manifest list: each of its platforms is an image of its own, with its own ${NOUN[props.kind]}.`;
  } else if (report.data) {
    body = `Scan status: ${report.data.status}.`;
  }
  return (
    <EmptyState titleText={title} headingLevel="h2" icon={SecurityIcon} data-testid={`scan-${props.kind}`}>
      <EmptyStateBody>{body}</EmptyStateBody>
    </EmptyState>
  );
}
