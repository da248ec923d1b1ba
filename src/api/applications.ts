import { type Static, Type as T } from '@sinclair/typebox';
import { authorizeOrganization } from '../auth/authorize.js';
import type { SecretBox } from '../auth/secret-box.js';
import {
  type ApplicationDetails,
  createApplicationWithSecret,
  deleteApplication,
  getNamespaceApplication,
  listNamespaceApplications,
  type OAuthApplication,
  resetClientSecret,
  revealClientSecret,
  updateApplication,
} from '../model/oauth-tokens.js';
import { registerOAuthRoutes } from './oauth.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';

/**
 * OAuth applications registered by an organization (Quay's OrganizationApplications in
 * endpoints/api/organization.py). Only the organization's admins reach these routes, so every view
 * carries the client secret, as Quay shows it to admins.
 */

const TAG = 'organization';
const APPLICATIONS_PATH = '/api/v1/organization/{orgname}/applications';
const APPLICATION_PATH = `${APPLICATIONS_PATH}/{client_id}`;

interface ApplicationView {
  name: string;
  description: string;
  application_uri: string;
  client_id: string;
  client_secret: string | null;
  redirect_uri: string;
  avatar_email: string | null;
}

function applicationView(secrets: SecretBox, row: OAuthApplication): ApplicationView {
  return {
    name: row.name,
    description: row.description,
    application_uri: row.application_uri,
    client_id: row.client_id,
    client_secret: revealClientSecret(secrets, row),
    redirect_uri: row.redirect_uri,
    avatar_email: row.avatar_email,
  };
}

const NewApplication = T.Object({
  name: T.String(),
  redirect_uri: T.Optional(T.String()),
  application_uri: T.Optional(T.String()),
  description: T.Optional(T.String()),
  avatar_email: T.Optional(T.Union([T.String(), T.Null()])),
});

/** Quay's UpdateApp: name and both URIs are required; description and avatar e-mail reset when left out. */
const UpdatedApplication = T.Object({
  name: T.String(),
  redirect_uri: T.String(),
  application_uri: T.String(),
  description: T.Optional(T.String()),
  avatar_email: T.Optional(T.Union([T.String(), T.Null()])),
});

function detailsFrom(body: Static<typeof NewApplication>): ApplicationDetails {
  return {
    name: body.name,
    description: body.description,
    applicationUri: body.application_uri,
    redirectUri: body.redirect_uri,
    avatarEmail: body.avatar_email,
  };
}

/** The organization (checked for admin rights) and the application the path names. */
async function administeredApplication({ ctx, actor, params }: ApiCall<unknown>): Promise<OAuthApplication> {
  const organization = await authorizeOrganization(ctx, actor, params['orgname']!, 'admin');
  return getNamespaceApplication(ctx.db, organization.id, params['client_id']!);
}

/** Quay's entry for a deleted application or a reset secret: the application's name and client id. */
async function logApplicationAction(
  call: ApiCall<unknown>,
  kind: 'delete_application' | 'reset_application_client_secret',
  application: OAuthApplication,
): Promise<void> {
  await logApiAction(call, {
    kind,
    namespaceId: application.namespace_id,
    metadata: { application_name: application.name, client_id: application.client_id },
  });
}

export function registerApplicationsRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: APPLICATIONS_PATH,
    summary: 'Lists the OAuth applications of an organization.',
    tag: TAG,
    async handler({ ctx, actor, params }) {
      const organization = await authorizeOrganization(ctx, actor, params['orgname']!, 'admin');
      const rows = await listNamespaceApplications(ctx.db, organization.id);
      return { applications: rows.map((row) => applicationView(ctx.secrets, row)) };
    },
  });

  router.add({
    method: 'POST',
    path: APPLICATIONS_PATH,
    summary: 'Registers a new OAuth application under an organization.',
    tag: TAG,
    body: NewApplication,
    async handler(call) {
      const { ctx, actor, params, body } = call;
      const organization = await authorizeOrganization(ctx, actor, params['orgname']!, 'admin');
      const row = await createApplicationWithSecret(ctx.db, ctx.secrets, organization.id, detailsFrom(body));
      await logApiAction(call, { kind: 'create_application', namespaceId: organization.id, metadata: { ...body, client_id: row.client_id } });
      return applicationView(ctx.secrets, row);
    },
  });

  router.add({
    method: 'GET',
    path: APPLICATION_PATH,
    summary: 'Returns one OAuth application of an organization.',
    tag: TAG,
    async handler(call) {
      return applicationView(call.ctx.secrets, await administeredApplication(call));
    },
  });

  router.add({
    method: 'PUT',
    path: APPLICATION_PATH,
    summary: 'Updates an OAuth application of an organization.',
    tag: TAG,
    body: UpdatedApplication,
    async handler(call) {
      const application = await administeredApplication(call);
      const row = await updateApplication(call.ctx.db, application, detailsFrom(call.body));
      await logApiAction(call, {
        kind: 'update_application',
        namespaceId: application.namespace_id,
        metadata: { ...call.body, client_id: row.client_id },
      });
      return applicationView(call.ctx.secrets, row);
    },
  });

  router.add({
    method: 'DELETE',
    path: APPLICATION_PATH,
    summary: 'Deletes an OAuth application of an organization and revokes its access tokens.',
    tag: TAG,
    status: 204,
    async handler(call) {
      const application = await administeredApplication(call);
      await deleteApplication(call.ctx.db, application);
      await logApplicationAction(call, 'delete_application', application);
      return undefined;
    },
  });

  router.add({
    method: 'POST',
    path: `${APPLICATION_PATH}/resetclientsecret`,
    summary: 'Replaces the client secret of an OAuth application.',
    tag: TAG,
    internal: true,
    async handler(call) {
      const application = await administeredApplication(call);
      const reset = await resetClientSecret(call.ctx.db, call.ctx.secrets, application);
      await logApplicationAction(call, 'reset_application_client_secret', application);
      return applicationView(call.ctx.secrets, reset);
    },
  });

  registerOAuthRoutes(router);
}
