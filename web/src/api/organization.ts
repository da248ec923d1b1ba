import { useQuery } from '@tanstack/react-query';
import { api } from './client';

/** GET /api/v1/organization/{org}: the fields the organization pages read. */
export interface OrganizationView {
  name: string;
  email?: string;
  is_admin?: boolean;
  is_member?: boolean;
  tag_expiration_s?: number;
  teams?: Record<string, { name: string; description?: string; role: string; member_count: number; repo_count?: number }>;
}

export function organizationQueryKey(org: string) {
  return ['organization', org] as const;
}

export function useOrganization(org: string) {
  return useQuery({
    queryKey: organizationQueryKey(org),
    queryFn: () => api<OrganizationView>(`/api/v1/organization/${encodeURIComponent(org)}`),
  });
}

/** Props every tab of the organization page receives. */
export interface OrganizationTabProps {
  org: string;
  organization: OrganizationView;
}
