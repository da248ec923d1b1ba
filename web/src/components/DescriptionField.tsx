import { DescriptionListDescription, DescriptionListGroup, DescriptionListTerm } from '@patternfly/react-core';
import type { ReactNode } from 'react';

/** One term and its description in a PatternFly DescriptionList; long values wrap anywhere rather than overflow. */
export function DescriptionField(props: { term: string; testId?: string; children: ReactNode }) {
  return (
    <DescriptionListGroup>
      <DescriptionListTerm>{props.term}</DescriptionListTerm>
      <DescriptionListDescription data-testid={props.testId} className="qs-wrap-anywhere">
        {props.children}
      </DescriptionListDescription>
    </DescriptionListGroup>
  );
}
