import { type Static, Type as T } from '@sinclair/typebox';
import {
  authorizeNamespaceAdmin,
  authorizeOrganization,
  authorizeOrganizationRobotListing,
  authorizeOwnAccount,
} from '../auth/authorize.js';
import type { AppContext } from '../context.js';
import type { Namespace } from '../model/namespaces.js';
import { formatQuayDate } from '../model/quay-date.js';
import { robotCredentials } from '../model/robot-credentials.js';
import {
  createRobot,
  deleteRobotAccount,
  getRobot,
  listDirectRobotPermissions,
  listRobots,
  listRobotTeamNames,
  MAX_DESCRIPTION_LENGTH,
  type Robot,
  type RobotPermission,
  regenerateRobotToken,
  revealRobotToken,
} from '../model/robots.js';
import { registryService } from '../net/public-host.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';
import { namedTeamView } from './views.js';

/**
 * Robot accounts of the signed-in user (/api/v1/user/robots…) and of organizations
 * (/api/v1/organization/{orgname}/robots…), with Quay's paths and JSON shapes, plus a Quayside
 * extension …/robots/{robot_shortname}/credentials with ready-made client configuration.
 */

const ListQuery = T.Object({
  permissions: T.Boolean({ default: false, description: 'Include the teams and repositories of each robot.' }),
  token: T.Boolean({ default: true, description: "Include each robot's token (administrators only)." }),
  limit: T.Optional(T.Integer({ minimum: 0, maximum: 10_000, description: 'Return at most this many robots.' })),
});

const CreateBody = T.Object({
  description: T.Optional(T.String({ maxLength: MAX_DESCRIPTION_LENGTH })),
  unstructured_metadata: T.Optional(T.Record(T.String(), T.Unknown())),
});

type ListQueryValue = Static<typeof ListQuery>;
type CreateBodyValue = Static<typeof CreateBody>;

interface RobotScope {
  /** `/api/v1/user/robots` or `/api/v1/organization/{orgname}/robots`. */
  prefix: string;
  /** Quay's resource tag for the discovery document. */
  tag: string;
  /** Whose robots these are. */
  noun: string;
  /** The namespace whose robots the caller administers; throws when the caller may not. */
  administered(call: ApiCall): Promise<Namespace>;
  /** The namespace whose robots the caller may list, and whether tokens and permissions may be shown. */
  listable(call: ApiCall): Promise<{ owner: Namespace; admin: boolean }>;
}

async function ownRobotsNamespace(call: ApiCall): Promise<Namespace> {
  const user = authorizeOwnAccount(call.actor, 'user:admin');
  return authorizeNamespaceAdmin(call.ctx, call.actor, user.name);
}

const USER_ROBOTS: RobotScope = {
  prefix: '/api/v1/user/robots',
  tag: 'robot',
  noun: "the signed-in user's",
  administered: ownRobotsNamespace,
  listable: async (call) => ({ owner: await ownRobotsNamespace(call), admin: true }),
};

const ORGANIZATION_ROBOTS: RobotScope = {
  prefix: '/api/v1/organization/{orgname}/robots',
  tag: 'robot',
  noun: "an organization's",
  administered: (call) => authorizeOrganization(call.ctx, call.actor, call.params['orgname'] ?? '', 'admin'),
  listable: async (call) => {
    const { organization, admin } = await authorizeOrganizationRobotListing(
      call.ctx,
      call.actor,
      call.params['orgname'] ?? '',
    );
    return { owner: organization, admin };
  },
};

interface RobotViewExtras {
  token?: string;
  teams?: string[];
  repositories?: string[];
}

/** Quay's robot JSON: name, dates, description and metadata; the token and permissions when asked. */
function robotView(robot: Robot, extras: RobotViewExtras = {}): Record<string, unknown> {
  const view: Record<string, unknown> = {
    name: robot.name,
    created: formatQuayDate(robot.createdAt),
    last_accessed: formatQuayDate(robot.lastAccessed),
    description: robot.description,
    unstructured_metadata: robot.unstructuredMetadata,
  };
  if (extras.token !== undefined) view['token'] = extras.token;
  if (extras.teams) view['teams'] = extras.teams.map(namedTeamView);
  if (extras.repositories) view['repositories'] = extras.repositories;
  return view;
}

/** A repository as the robot's owner sees it: by its short name in the owner's namespace, in full elsewhere. */
function repositoryLabel(robot: Robot, permission: RobotPermission): string {
  return permission.namespaceName === robot.ownerName
    ? permission.repositoryName
    : `${permission.namespaceName}/${permission.repositoryName}`;
}

async function robotListView(ctx: AppContext, owner: Namespace, query: ListQueryValue, admin: boolean) {
  const robots = await listRobots(ctx.db, owner.id, query.limit);
  const withToken = admin && query.token;
  const withPermissions = admin && query.permissions;
  const ids = robots.map((robot) => robot.id);
  const permissions = withPermissions ? await listDirectRobotPermissions(ctx.db, ids) : new Map<number, RobotPermission[]>();
  const teams = withPermissions ? await listRobotTeamNames(ctx.db, ids) : new Map<number, string[]>();
  return {
    robots: robots.map((robot) => {
      const extras: RobotViewExtras = {};
      if (withToken) extras.token = revealRobotToken(ctx.secrets, robot);
      if (withPermissions) {
        extras.teams = teams.get(robot.id) ?? [];
        const names = (permissions.get(robot.id) ?? []).map((permission) => repositoryLabel(robot, permission));
        extras.repositories = [...new Set(names)];
      }
      return robotView(robot, extras);
    }),
  };
}

async function administeredRobot(scope: RobotScope, call: ApiCall): Promise<Robot> {
  const owner = await scope.administered(call);
  return getRobot(call.ctx.db, owner, call.params['robot_shortname'] ?? '');
}

/** Quay's entry for an action on a robot, in its owner's logs, naming the robot by its short name. */
async function logRobotAction(call: ApiCall, kind: 'delete_robot' | 'regenerate_robot_token', robot: Robot): Promise<void> {
  await logApiAction(call, { kind, namespaceId: robot.ownerId, metadata: { robot: call.params['robot_shortname'] ?? '' } });
}

function registerScope(router: ApiRouter, scope: RobotScope): void {
  const one = `${scope.prefix}/{robot_shortname}`;

  router.add({
    method: 'GET',
    path: scope.prefix,
    summary: `List ${scope.noun} robot accounts.`,
    tag: scope.tag,
    query: ListQuery,
    handler: async (call) => {
      const { owner, admin } = await scope.listable(call);
      return robotListView(call.ctx, owner, call.query, admin);
    },
  });

  router.add({
    method: 'GET',
    path: one,
    summary: `Show one of ${scope.noun} robot accounts, with its token.`,
    tag: scope.tag,
    handler: async (call) => {
      const robot = await administeredRobot(scope, call);
      return robotView(robot, { token: revealRobotToken(call.ctx.secrets, robot) });
    },
  });

  router.add({
    method: 'PUT',
    path: one,
    summary: `Create a robot account in ${scope.noun} namespace.`,
    tag: scope.tag,
    body: CreateBody,
    status: 201,
    handler: async (call) => {
      const owner = await scope.administered(call);
      const body: CreateBodyValue = call.body;
      const robot = await createRobot(call.ctx.db, call.ctx.secrets, {
        owner,
        shortname: call.params['robot_shortname'] ?? '',
        description: body.description,
        unstructuredMetadata: body.unstructured_metadata,
      });
      await logApiAction(call, {
        kind: 'create_robot',
        namespaceId: owner.id,
        metadata: {
          robot: call.params['robot_shortname'] ?? '',
          description: body.description ?? null,
          unstructured_metadata: body.unstructured_metadata ?? null,
        },
      });
      return robotView(robot, { token: revealRobotToken(call.ctx.secrets, robot) });
    },
  });

  router.add({
    method: 'DELETE',
    path: one,
    summary: `Delete one of ${scope.noun} robot accounts, with its permissions and team memberships.`,
    tag: scope.tag,
    status: 204,
    handler: async (call) => {
      const robot = await administeredRobot(scope, call);
      await deleteRobotAccount(call.ctx.db, robot);
      await logRobotAction(call, 'delete_robot', robot);
      return undefined;
    },
  });

  router.add({
    method: 'GET',
    path: `${one}/permissions`,
    summary: `List the repository permissions of one of ${scope.noun} robot accounts.`,
    tag: scope.tag,
    handler: async (call) => {
      const robot = await administeredRobot(scope, call);
      const permissions = (await listDirectRobotPermissions(call.ctx.db, [robot.id])).get(robot.id) ?? [];
      return {
        permissions: permissions.map((permission) => ({
          repository: { name: repositoryLabel(robot, permission), is_public: permission.visibility === 'public' },
          role: permission.role,
        })),
      };
    },
  });

  router.add({
    method: 'POST',
    path: `${one}/regenerate`,
    summary: `Replace the token of one of ${scope.noun} robot accounts; the old token stops working at once.`,
    tag: scope.tag,
    handler: async (call) => {
      const robot = await regenerateRobotToken(call.ctx.db, call.ctx.secrets, await administeredRobot(scope, call));
      await logRobotAction(call, 'regenerate_robot_token', robot);
      return robotView(robot, { token: revealRobotToken(call.ctx.secrets, robot) });
    },
  });

  router.add({
    method: 'GET',
    path: `${one}/credentials`,
    summary: `Quayside extension: docker and podman login lines, a config.json entry and a Kubernetes pull secret for one of ${scope.noun} robot accounts.`,
    tag: scope.tag,
    handler: async (call) => {
      const robot = await administeredRobot(scope, call);
      return robotCredentials({
        username: robot.name,
        token: revealRobotToken(call.ctx.secrets, robot),
        registryHost: registryService(call.ctx.config, call.request.headers.host),
      });
    },
  });
}

export function registerRobotsRoutes(router: ApiRouter): void {
  registerScope(router, USER_ROBOTS);
  registerScope(router, ORGANIZATION_ROBOTS);
}
