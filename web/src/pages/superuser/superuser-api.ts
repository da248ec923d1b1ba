import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { GlobalMessage } from '../../api/types';

/** The superuser panel's reads and writes (Quay's /api/v1/superuser/*, /api/v1/messages). */

export interface ManagedUser {
  username: string;
  email: string | null;
  enabled: boolean;
  super_user: boolean;
}

/** POST /api/v1/superuser/users/ answers with the generated password, shown once. */
export interface CreatedUser {
  username: string;
  email: string | null;
  password: string;
}

export interface ManagedOrganization {
  name: string;
  email: string | null;
}

export interface ServiceKeyApproval {
  approval_type: string;
  approved_date: string | null;
  approver: { username: string } | null;
  notes: string;
}

export interface ServiceKey {
  kid: string;
  name: string;
  service: string;
  created_date: string;
  expiration_date: string | null;
  approval: ServiceKeyApproval | null;
}

/** POST /api/v1/superuser/keys answers with the private key, which is never stored. */
export interface CreatedServiceKey {
  kid: string;
  name: string;
  service: string;
  private_key: string;
}

export interface RegistrySize {
  size_bytes: number;
  last_ran: number | null;
}

export type MessageSeverity = GlobalMessage['severity'];
export type MessageMediaType = 'text/plain' | 'text/markdown';

const USERS_KEY = ['superuser', 'users'] as const;
const ORGANIZATIONS_KEY = ['superuser', 'organizations'] as const;
const KEYS_KEY = ['superuser', 'keys'] as const;
/** The same key AppLayout's banners read, so a change shows there at once. */
const MESSAGES_KEY = ['global-messages'] as const;

const userPath = (username: string) => `/api/v1/superuser/users/${encodeURIComponent(username)}`;
const organizationPath = (name: string) => `/api/v1/superuser/organizations/${encodeURIComponent(name)}`;
const keyPath = (kid: string) => `/api/v1/superuser/keys/${encodeURIComponent(kid)}`;

/** A mutation that refreshes `key` once it has succeeded. */
function useInvalidatingMutation<Input, Output>(key: readonly string[], run: (input: Input) => Promise<Output>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
}

export function useManagedUsers() {
  return useQuery({
    queryKey: USERS_KEY,
    queryFn: async () => (await api<{ users: ManagedUser[] }>('/api/v1/superuser/users/')).users,
  });
}

export function useCreateUser() {
  return useInvalidatingMutation(USERS_KEY, (input: { username: string; email: string }) =>
    api<CreatedUser>('/api/v1/superuser/users/', { method: 'POST', body: input }),
  );
}

export function useUpdateUser() {
  return useInvalidatingMutation(USERS_KEY, ({ username, ...change }: { username: string; enabled?: boolean; password?: string }) =>
    api<ManagedUser>(userPath(username), { method: 'PUT', body: change }),
  );
}

export function useDeleteUser() {
  return useInvalidatingMutation(USERS_KEY, (username: string) => api(userPath(username), { method: 'DELETE' }));
}

export function useManagedOrganizations() {
  return useQuery({
    queryKey: ORGANIZATIONS_KEY,
    queryFn: async () => (await api<{ organizations: ManagedOrganization[] }>('/api/v1/superuser/organizations/')).organizations,
  });
}

export function useRenameOrganization() {
  return useInvalidatingMutation(ORGANIZATIONS_KEY, ({ name, newName }: { name: string; newName: string }) =>
    api<ManagedOrganization>(organizationPath(name), { method: 'PUT', body: { name: newName } }),
  );
}

export function useDeleteOrganization() {
  return useInvalidatingMutation(ORGANIZATIONS_KEY, (name: string) => api(organizationPath(name), { method: 'DELETE' }));
}

export function useTakeOwnership() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (namespace: string) => api(`/api/v1/superuser/takeownership/${encodeURIComponent(namespace)}`, { method: 'POST' }),
    // The superuser's own organization list changes too.
    onSuccess: () => queryClient.invalidateQueries(),
  });
}

export function useCreateMessage() {
  return useInvalidatingMutation(
    MESSAGES_KEY,
    (message: { content: string; severity: MessageSeverity; media_type: MessageMediaType }) =>
      api('/api/v1/messages', { method: 'POST', body: { message } }),
  );
}

export function useDeleteMessage() {
  return useInvalidatingMutation(MESSAGES_KEY, (uuid: string) =>
    api(`/api/v1/message/${encodeURIComponent(uuid)}`, { method: 'DELETE' }),
  );
}

export function useServiceKeys() {
  return useQuery({
    queryKey: KEYS_KEY,
    queryFn: async () => (await api<{ keys: ServiceKey[] }>('/api/v1/superuser/keys')).keys,
  });
}

/** Expirations travel as Unix seconds; null never expires. */
export function useCreateServiceKey() {
  return useInvalidatingMutation(KEYS_KEY, (input: { service: string; name: string; expiration: number | null }) =>
    api<CreatedServiceKey>('/api/v1/superuser/keys', { method: 'POST', body: input }),
  );
}

export function useUpdateServiceKey() {
  return useInvalidatingMutation(KEYS_KEY, ({ kid, ...change }: { kid: string; name: string; expiration: number | null }) =>
    api<ServiceKey>(keyPath(kid), { method: 'PUT', body: change }),
  );
}

export function useApproveServiceKey() {
  return useInvalidatingMutation(KEYS_KEY, (kid: string) =>
    api(`/api/v1/superuser/approvedkeys/${encodeURIComponent(kid)}`, { method: 'POST', body: {} }),
  );
}

export function useDeleteServiceKey() {
  return useInvalidatingMutation(KEYS_KEY, (kid: string) => api(keyPath(kid), { method: 'DELETE' }));
}

export function useRegistrySize() {
  return useQuery({
    queryKey: ['superuser', 'registry-size'],
    queryFn: () => api<RegistrySize>('/api/v1/superuser/registrysize/'),
  });
}
