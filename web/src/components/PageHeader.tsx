import { Breadcrumb, BreadcrumbItem, PageSection, Title } from '@patternfly/react-core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

/** One step of the breadcrumb trail; the last one, without `to`, is the page itself. */
export interface Crumb {
  label: ReactNode;
  to?: string;
  testId?: string;
}

/** The top of a detail page: the breadcrumb trail, the page's title, and anything under it. */
export function PageHeader(props: { crumbs: Crumb[]; title: ReactNode; testId: string; children?: ReactNode }) {
  return (
    <PageSection>
      <Breadcrumb>
        {props.crumbs.map((crumb, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the trail is fixed for a page; its position is its identity
          <BreadcrumbItem key={index} isActive={crumb.to === undefined}>
            {crumb.to === undefined ? (
              crumb.label
            ) : (
              <Link to={crumb.to} data-testid={crumb.testId}>
                {crumb.label}
              </Link>
            )}
          </BreadcrumbItem>
        ))}
      </Breadcrumb>
      <Title headingLevel="h1" className="qs-wrap-anywhere" data-testid={props.testId}>
        {props.title}
      </Title>
      {props.children}
    </PageSection>
  );
}
