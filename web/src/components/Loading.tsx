import { Bullseye, Spinner } from '@patternfly/react-core';

/** A centred spinner while a page or a section loads; `what` names it for screen readers. */
export function Loading({ what }: { what?: string }) {
  return (
    <Bullseye>
      <Spinner aria-label={what ? `Loading ${what}` : 'Loading'} />
    </Bullseye>
  );
}
