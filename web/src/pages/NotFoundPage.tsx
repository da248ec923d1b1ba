import { Button, EmptyState, EmptyStateBody, EmptyStateFooter, PageSection } from '@patternfly/react-core';
import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <PageSection>
      <EmptyState titleText="Page not found" headingLevel="h1" status="warning">
        <EmptyStateBody>There is nothing at this address.</EmptyStateBody>
        <EmptyStateFooter>
          <Button component={(props) => <Link {...props} to="/repository" />}>Go to repositories</Button>
        </EmptyStateFooter>
      </EmptyState>
    </PageSection>
  );
}
