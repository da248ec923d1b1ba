import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { registerAppTokensRoutes } from './app-tokens.js';
import { registerApplicationsRoutes } from './applications.js';
import { registerApiBodyParsers } from './body-parsers.js';
import { registerDiscoveryRoutes } from './discovery.js';
import { registerEntitiesRoutes } from './entities.js';
import { sendApiError } from './errors.js';
import { registerExportedLogsDownload, registerLogsRoutes } from './logs.js';
import { registerManifestsRoutes } from './manifests.js';
import { registerMessagesRoutes } from './messages.js';
import { registerMirrorRoutes } from './mirror.js';
import { registerNotificationsRoutes } from './notifications.js';
import { registerOrganizationsRoutes } from './organizations.js';
import { registerPermissionsRoutes } from './permissions.js';
import { registerPrototypesRoutes } from './prototypes.js';
import { registerPublicConfigRoutes } from './public-config.js';
import { registerQuotaRoutes } from './quota.js';
import { registerSuperuserQuotaRoutes } from './quota-superuser.js';
import { registerRegistrySizeRoutes } from './registry-size.js';
import { registerRepositoriesRoutes } from './repositories.js';
import { registerRobotsRoutes } from './robots.js';
import { ApiRouter } from './router.js';
import { registerServiceKeyRoutes } from './service-keys.js';
import { registerStarsRoutes } from './stars.js';
import { registerSuperuserOrganizationRoutes } from './superuser-organizations.js';
import { registerTagsRoutes } from './tags.js';
import { registerTeamSyncingRoutes } from './team-syncing.js';
import { registerTeamsRoutes } from './teams.js';
import { userInitializeRoutes } from './user-initialize.js';
import { registerUsersRoutes } from './users.js';

/** Mounts Quay's REST API under /api/v1 (plus the session endpoints the web UI uses). */
export async function apiRoutes(app: FastifyInstance, ctx: AppContext): Promise<ApiRouter> {
  // Body parsing and other framework errors answer in Quay's error format too.
  app.setErrorHandler((err, _request, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message = err instanceof Error ? err.message : 'invalid request';
      return reply.code(status).send({
        detail: message,
        error_message: message,
        error_type: 'invalid_request',
        title: 'invalid_request',
        status,
      });
    }
    return sendApiError(reply, ctx.config, err);
  });
  registerApiBodyParsers(app);

  const router = new ApiRouter(app, ctx);
  registerUsersRoutes(router);
  registerOrganizationsRoutes(router);
  registerTeamsRoutes(router);
  registerTeamSyncingRoutes(router);
  registerRobotsRoutes(router);
  registerRepositoriesRoutes(router);
  registerMirrorRoutes(router);
  registerPermissionsRoutes(router);
  registerTagsRoutes(router);
  registerManifestsRoutes(router);
  registerPrototypesRoutes(router);
  registerAppTokensRoutes(router);
  registerApplicationsRoutes(router);
  registerEntitiesRoutes(router);
  registerLogsRoutes(router);
  registerStarsRoutes(router);
  registerNotificationsRoutes(router);
  registerSuperuserOrganizationRoutes(router);
  registerServiceKeyRoutes(router);
  registerRegistrySizeRoutes(router);
  registerQuotaRoutes(router);
  registerSuperuserQuotaRoutes(router);
  registerMessagesRoutes(router);
  registerDiscoveryRoutes(router);
  registerPublicConfigRoutes(router);
  router.mountRepositoryRoutes();
  registerExportedLogsDownload(app, ctx);
  await userInitializeRoutes(app, ctx);
  return router;
}
