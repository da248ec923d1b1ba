import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { onSessionLost } from '../api/client';
import { CURRENT_USER_KEY, resetSessionData, useCurrentUser } from '../api/session';
import { LoadError } from './LoadError';
import { Loading } from './Loading';

function signInAddress(path: string): string {
  return `/signin?redirect=${encodeURIComponent(path)}`;
}

/**
 * Shows its children only to a signed-in user. When the session ends later (expired, revoked,
 * signed out elsewhere), the user is sent to sign in and brought back afterwards: on any API call
 * answering 401, and on the next page change, since a request with a dead session cookie is
 * served as anonymous and many reads still succeed that way.
 */
export function RequireSignIn({ children }: { children: ReactNode }) {
  const user = useCurrentUser();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  useEffect(
    () =>
      onSessionLost(() => {
        resetSessionData(queryClient);
        navigate(signInAddress(window.location.pathname + window.location.search), { replace: true });
      }),
    [navigate, queryClient],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-checking the session on every page change is the point
  useEffect(() => {
    void queryClient.invalidateQueries({ queryKey: CURRENT_USER_KEY });
  }, [location.pathname, queryClient]);
  if (user.isPending) {
    return <Loading />;
  }
  if (user.isError) return <LoadError error={user.error} />;
  if (!user.data) return <Navigate to={signInAddress(location.pathname + location.search)} replace />;
  return <>{children}</>;
}
