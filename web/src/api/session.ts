import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { ApiError, api } from './client';
import type { CurrentUser, GlobalMessage, PublicConfig } from './types';

export const CURRENT_USER_KEY = ['current-user'] as const;

/** The signed-in user, or null when nobody is signed in. */
export function useCurrentUser() {
  return useQuery({
    queryKey: CURRENT_USER_KEY,
    queryFn: async (): Promise<CurrentUser | null> => {
      try {
        return await api<CurrentUser>('/api/v1/user/', { quietUnauthorized: true });
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return null;
        throw err;
      }
    },
    staleTime: 30_000,
    // An idle page notices an ended session within a minute.
    refetchInterval: 60_000,
  });
}

export function usePublicConfig() {
  return useQuery({
    queryKey: ['public-config'],
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
