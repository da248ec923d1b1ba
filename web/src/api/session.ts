import { type QueryClient, useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { ApiError, api, forgetCsrfToken } from './client';
import type { CurrentUser, GlobalMessage, PublicConfig } from './types';

export const CURRENT_USER_KEY = ['current-user'] as const;
const PUBLIC_CONFIG_KEY = ['public-config'] as const;

/**
 * Forgets everything the previous session loaded (most cached lists are not keyed by user, and
 * some hold secrets), keeping only the public configuration. Called when a session ends in any
 * way and when a new one starts, so that one person never sees another's data in the same tab.
 */
export function resetSessionData(queryClient: QueryClient): void {
  forgetCsrfToken();
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== PUBLIC_CONFIG_KEY[0] });
  queryClient.getMutationCache().clear();
  queryClient.setQueryData(CURRENT_USER_KEY, null);
}

async function fetchCurrentUser(): Promise<CurrentUser | null> {
  try {
    return await api<CurrentUser>('/api/v1/user/', { quietUnauthorized: true });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return null;
    throw err;
  }
}

/** Asks the server who is signed in now and caches the answer (after signing in). */
export function loadCurrentUser(queryClient: QueryClient): Promise<CurrentUser | null> {
  return queryClient.fetchQuery({ queryKey: CURRENT_USER_KEY, queryFn: fetchCurrentUser });
}

/** The signed-in user, or null when nobody is signed in. */
export function useCurrentUser() {
  return useQuery({
    queryKey: CURRENT_USER_KEY,
    queryFn: fetchCurrentUser,
    staleTime: 30_000,
    // An idle page notices an ended session within a minute.
    refetchInterval: 60_000,
  });
}

export function usePublicConfig() {
  return useQuery({
    queryKey: PUBLIC_CONFIG_KEY,
    queryFn: () => api<PublicConfig>('/config'),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useGlobalMessages() {
  return useQuery({
    queryKey: ['global-messages'],
    queryFn: async () => (await api<{ messages: GlobalMessage[] }>('/api/v1/messages')).messages,
    staleTime: 60_000,
  });
}

/** Names the browser tab after the registry (REGISTRY_TITLE). */
export function useRegistryDocumentTitle(): void {
  const title = usePublicConfig().data?.config.REGISTRY_TITLE;
  useEffect(() => {
    if (title) document.title = title;
  }, [title]);
}
