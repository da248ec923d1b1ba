import { EmptyState, EmptyStateBody } from '@patternfly/react-core';
import type { RepositoryTabProps } from '../../api/repository';

/** The repository's mirror configuration; the mirroring work fills this in. */
export function MirroringTab(_props: RepositoryTabProps) {
  return (
    <EmptyState titleText="Repository mirroring" headingLevel="h2">
      <EmptyStateBody>This repository is a mirror. Mirror settings are not available in this version yet.</EmptyStateBody>
    </EmptyState>
  );
}
