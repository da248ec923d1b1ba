import { Alert, Spinner } from '@patternfly/react-core';
import { useMirror } from '../../api/mirror';
import type { RepositoryTabProps } from '../../api/repository';
import { LoadError } from '../../components/LoadError';
import { MirrorForm } from './MirrorForm';
import { MirrorStatusPanel } from './MirrorStatusPanel';

/** A MIRROR repository's Mirroring tab: the sync status (once configured) above the settings. */
export function MirroringTab({ namespace, name, repository }: RepositoryTabProps) {
  const mirror = useMirror(namespace, name);
  if (mirror.isPending) return <Spinner size="lg" aria-label="Loading the mirror settings" />;
  if (mirror.isError) return <LoadError error={mirror.error} />;
  const stored = mirror.data;
  return (
    <div className="pf-v6-u-mt-md" data-testid="mirroring-tab">
      {stored ? (
        <MirrorStatusPanel namespace={namespace} name={name} mirror={stored} />
      ) : (
        <Alert variant="info" isInline title="This repository is not mirrored yet" className="pf-v6-u-mb-lg" data-testid="mirror-not-configured">
          Fill in where to mirror from and save to start mirroring.
        </Alert>
      )}
      {/* A new form once the mirror exists, filled from what the server stored. */}
      <MirrorForm
        key={stored ? 'stored' : 'new'}
        namespace={namespace}
        name={name}
        isOrganization={repository.is_organization}
        stored={stored}
      />
    </div>
  );
}
