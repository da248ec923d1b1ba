import { createBrowserRouter, Navigate } from 'react-router';
import { AppLayout } from './components/AppLayout';
import { RequireSignIn } from './components/RequireSignIn';
import { CreateAccountPage } from './pages/auth/CreateAccountPage';
import { SignInPage } from './pages/auth/SignInPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OrganizationPage } from './pages/organization/OrganizationPage';
import { OrganizationsListPage } from './pages/organizations/OrganizationsList';
import { RepositoriesListPage } from './pages/repositories/RepositoriesList';
import { RepositoryRoute } from './pages/repository/RepositoryPage';
import { SuperuserPage } from './pages/superuser/SuperuserPage';
import { ConfirmInvitePage } from './pages/teams/ConfirmInvitePage';
import { TeamPage } from './pages/teams/TeamPage';
import { UserPage } from './pages/user/UserPage';

/**
 * Every address of the UI. The server answers any of them with index.html, so each one can be
 * bookmarked and reloaded.
 */
export const router = createBrowserRouter([
  { path: '/signin', element: <SignInPage /> },
  { path: '/createaccount', element: <CreateAccountPage /> },
  {
    path: '/',
    element: (
      <RequireSignIn>
        <AppLayout />
      </RequireSignIn>
    ),
    children: [
      { index: true, element: <Navigate to="/repository" replace /> },
      { path: 'organization', element: <OrganizationsListPage /> },
      { path: 'organization/:org', element: <OrganizationPage /> },
      { path: 'organization/:org/teams/:team', element: <TeamPage /> },
      { path: 'repository', element: <RepositoriesListPage /> },
      { path: 'repository/*', element: <RepositoryRoute /> },
      { path: 'user/:username', element: <UserPage /> },
      { path: 'superuser', element: <SuperuserPage /> },
      { path: 'confirminvite', element: <ConfirmInvitePage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
