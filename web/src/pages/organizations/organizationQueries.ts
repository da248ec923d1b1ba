import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { runEach } from '../../api/bulk';
import { api } from '../../api/client';
import { organizationQueryKey, type OrganizationView } from '../../api/organization';
import { CURRENT_USER_KEY } from '../../api/session';

/** Reads and writes of the organizations list and the organization settings tab. */

const orgUrl = (org: string) => `/api/v1/organization/${encodeURIComponent(org)}`;

/** Pages of GET /api/v1/repository counted before the list shows "N+" instead of reading on. */
const MAX_REPOSITORY_PAGES = 10;

export interface RepositoryCount {
  count: number;
  /** More repositories exist than were counted. */
  more: boolean;
}

/** How many repositories of `org` the user can see, by paging through the repository list. */
export function useRepositoryCount(org: string) {
  return useQuery({
    queryKey: ['organization-repository-count', org],
    queryFn: async (): Promise<RepositoryCount> => {
      let count = 0;
      let nextPage: string | undefined;
      for (let page = 0; page < MAX_REPOSITORY_PAGES; page++) {
        const body = await api<{ repositories: unknown[]; next_page?: string }>('/api/v1/repository', {
          query: { namespace: org, next_page: nextPage },
        });
        count += body.repositories.length;
        nextPage = body.next_page;
        if (!nextPage) return { count, more: false };
      }
      return { count, more: true };
    },
  });
}

/** The users in the organization's teams; only administrators may ask. */
export function useMemberCount(org: string, enabled: boolean) {
  return useQuery({
    queryKey: ['organization-members', org],
    queryFn: async () => (await api<{ members: unknown[] }>(`${orgUrl(org)}/members`)).members.length,
    enabled,
  });
}

export function useCreateOrganization() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { name: string; email?: string }) => api(`/api/v1/organization/`, { method: 'POST', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: CURRENT_USER_KEY }),
  });
}

/** Deletes each organization; the result says which ones went and which failed (with why). */
export function useDeleteOrganizations() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (names: string[]) => {
      const outcome = await runEach(names, (name) => api(orgUrl(name), { method: 'DELETE' }));
      return { deleted: outcome.succeeded, failed: outcome.failures.map(({ item, error }) => ({ name: item, error })) };
    },
    onSuccess: async ({ deleted }) => {
      // Refresh the list first so the rows of deleted organizations unmount before their data is dropped.
      await queryClient.invalidateQueries({ queryKey: CURRENT_USER_KEY });
      for (const name of deleted) {
        queryClient.removeQueries({ queryKey: organizationQueryKey(name) });
        queryClient.removeQueries({ queryKey: ['organization-members', name] });
        queryClient.removeQueries({ queryKey: ['organization-repository-count', name] });
      }
    },
  });
}

export interface OrganizationSettingsChange {
  email?: string;
  tag_expiration_s?: number;
}

export function useUpdateOrganization(org: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: OrganizationSettingsChange) => api<OrganizationView>(orgUrl(org), { method: 'PUT', body: change }),
    onSuccess: (updated) => queryClient.setQueryData(organizationQueryKey(org), updated),
  });
}
