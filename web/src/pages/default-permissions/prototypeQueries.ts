import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { RepositoryRole } from '../../components/PermissionSelect';

/** An organization's default permissions (Quay calls them permission prototypes). */

export interface PrototypeAccount {
  name: string;
  kind: 'user' | 'team';
  is_robot?: boolean;
}

export interface Prototype {
  id: string;
  role: RepositoryRole;
  /** The repository creator it applies to; null: anyone. */
  activating_user: PrototypeAccount | null;
  delegate: PrototypeAccount;
}

export interface NewPrototype {
  role: RepositoryRole;
  delegate: { name: string; kind: 'user' | 'team' };
  activating_user?: { name: string };
}

const prototypesUrl = (org: string) => `/api/v1/organization/${encodeURIComponent(org)}/prototypes`;
const prototypesKey = (org: string) => ['prototypes', org] as const;

export function usePrototypes(org: string) {
  return useQuery({
    queryKey: prototypesKey(org),
    queryFn: async () => (await api<{ prototypes: Prototype[] }>(prototypesUrl(org))).prototypes,
  });
}

function usePrototypeMutation<Input>(org: string, request: (input: Input) => Promise<unknown>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: request,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: prototypesKey(org) }),
  });
}

export function useCreatePrototype(org: string) {
  return usePrototypeMutation(org, (input: NewPrototype) => api<Prototype>(prototypesUrl(org), { method: 'POST', body: input }));
}

export function useChangePrototypeRole(org: string) {
  return usePrototypeMutation(org, (input: { id: string; role: RepositoryRole }) =>
    api<Prototype>(`${prototypesUrl(org)}/${encodeURIComponent(input.id)}`, { method: 'PUT', body: { role: input.role } }),
  );
}

export function useDeletePrototype(org: string) {
  return usePrototypeMutation(org, (id: string) => api(`${prototypesUrl(org)}/${encodeURIComponent(id)}`, { method: 'DELETE' }));
}
