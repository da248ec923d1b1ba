import { Alert } from '@patternfly/react-core';
import { errorText } from '../api/client';

/** A page's body when its data failed to load. */
export function LoadError({ error }: { error: unknown }) {
  return (
    <Alert variant="danger" isInline title="Could not load this page" data-testid="load-error">
      {errorText(error)}
    </Alert>
  );
}

