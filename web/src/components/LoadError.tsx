import { Alert } from '@patternfly/react-core';

/** A page's body when its data failed to load. */
export function LoadError({ error }: { error: unknown }) {
  return (
    <Alert variant="danger" isInline title="Could not load this page" data-testid="load-error">
      {error instanceof Error ? error.message : String(error)}
    </Alert>
  );
}

