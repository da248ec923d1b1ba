import { Card, CardBody, CardTitle, Title } from '@patternfly/react-core';
import type { ReactNode } from 'react';
import { usePublicConfig, useRegistryDocumentTitle } from '../../api/session';

/** The centred card the sign-in and create-account forms sit in, with the registry's branding. */
export function AuthFrame({ heading, children }: { heading: string; children: ReactNode }) {
  useRegistryDocumentTitle();
  const config = usePublicConfig().data?.config;
  const title = config?.REGISTRY_TITLE ?? 'Quayside';
  return (
    <div className="qs-auth-page">
      <Card className="qs-auth-card">
        <CardTitle>
          {config?.BRANDING?.logo ? (
            <img src={config.BRANDING.logo} alt={title} style={{ maxHeight: 48 }} data-testid="brand-logo" />
          ) : (
            <Title headingLevel="h1" size="2xl" data-testid="registry-title">
              {title}
            </Title>
          )}
          <Title headingLevel="h2" size="lg">
            {heading}
          </Title>
        </CardTitle>
        <CardBody>{children}</CardBody>
      </Card>
    </div>
  );
}
