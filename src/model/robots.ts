import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { randomText, UPPER_CASE_LETTERS_AND_DIGITS } from '../auth/random-text.js';
import { type SecretBox, sealedSecretMatches } from '../auth/secret-box.js';
import type { Database, RepositoryRole, RepositoryVisibility } from '../db/tables.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { nowMs } from './clock.js';
import { parseStoredJsonObject } from './json-text.js';
import { findNamespace, type Namespace } from './namespaces.js';

/** Robot accounts: `owner+short`, a namespace row of kind 'robot' plus its token and description. */

const ROBOT_SHORTNAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TOKEN_LENGTH = 64;
export const MAX_DESCRIPTION_LENGTH = 255;

export function formatRobotName(owner: string, shortname: string): string {
  return `${owner}+${shortname}`;
}

/** Splits `owner+short`; undefined when the name is not a robot name. */
export function parseRobotName(name: string): { owner: string; shortname: string } | undefined {
  const plus = name.indexOf('+');
  if (plus <= 0 || plus !== name.lastIndexOf('+') || plus === name.length - 1) return undefined;
  return { owner: name.slice(0, plus), shortname: name.slice(plus + 1) };
}

export function validateRobotShortname(shortname: string): void {
  if (shortname.length < 2 || shortname.length > 255 || !ROBOT_SHORTNAME.test(shortname)) {
    throw new Invalid(
      'input',
      `invalid robot account name "${shortname}": use 2-255 lower-case letters, digits and single . _ - separators`,
    );
  }
}

export function generateRobotToken(): string {
  return randomText(TOKEN_LENGTH, UPPER_CASE_LETTERS_AND_DIGITS);
}

export interface Robot {
  id: number;
  name: string;
  ownerId: number;
  ownerName: string;
  description: string;
  unstructuredMetadata: Record<string, unknown>;
  createdAt: number;
  lastAccessed: number | null;
  enabled: boolean;
  tokenEncrypted: string;
}

function robotQuery(db: Kysely<Database>) {
  return db
    .selectFrom('robot')
    .innerJoin('namespace as robot_ns', 'robot_ns.id', 'robot.namespace_id')
    .innerJoin('namespace as owner_ns', 'owner_ns.id', 'robot.owner_id')
    .select([
      'robot_ns.id as id',
      'robot_ns.name as name',
      'robot_ns.created_at as created_at',
      'robot_ns.last_accessed as last_accessed',
      'robot_ns.enabled as robot_enabled',
      'owner_ns.id as owner_id',
      'owner_ns.name as owner_name',
      'owner_ns.enabled as owner_enabled',
      'robot.description as description',
      'robot.unstructured_metadata as unstructured_metadata',
      'robot.token_encrypted as token_encrypted',
    ]);
}

type RobotRow = Awaited<ReturnType<ReturnType<typeof robotQuery>['executeTakeFirstOrThrow']>>;

function toRobot(row: RobotRow): Robot {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    ownerName: row.owner_name,
    description: row.description,
    unstructuredMetadata: parseStoredJsonObject(row.unstructured_metadata),
    createdAt: row.created_at,
    lastAccessed: row.last_accessed,
    enabled: row.robot_enabled === 1 && row.owner_enabled === 1,
    tokenEncrypted: row.token_encrypted,
  };
}

export async function findRobot(db: Kysely<Database>, fullName: string): Promise<Robot | undefined> {
  const row = await robotQuery(db).where('robot_ns.name', '=', fullName).executeTakeFirst();
  return row ? toRobot(row) : undefined;
}

export async function getRobot(db: Kysely<Database>, owner: Namespace, shortname: string): Promise<Robot> {
  const robot = await findRobot(db, formatRobotName(owner.name, shortname));
  if (!robot || robot.ownerId !== owner.id) {
    throw new NotFound('robot', `robot account ${formatRobotName(owner.name, shortname)} not found`);
  }
  return robot;
}

/** The robots of a user or organization, by name; at most `limit` of them when given. */
export async function listRobots(db: Kysely<Database>, ownerId: number, limit?: number): Promise<Robot[]> {
  let query = robotQuery(db).where('robot.owner_id', '=', ownerId).orderBy('robot_ns.name');
  if (limit !== undefined) query = query.limit(limit);
  return (await query.execute()).map(toRobot);
}

export interface NewRobot {
  owner: Namespace;
  shortname: string;
  description?: string | undefined;
  unstructuredMetadata?: Record<string, unknown> | undefined;
}

export async function createRobot(db: Kysely<Database>, secrets: SecretBox, input: NewRobot): Promise<Robot> {
  validateRobotShortname(input.shortname);
  if (input.owner.kind === 'robot') throw new Invalid('input', 'robot accounts cannot own robot accounts');
  const name = formatRobotName(input.owner.name, input.shortname);
  if (name.length > 255) throw new Invalid('input', `robot account name "${name}" is longer than 255 characters`);
  if ((input.description?.length ?? 0) > MAX_DESCRIPTION_LENGTH) {
    throw new Invalid('input', `a robot account description is at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  if (await findNamespace(db, name)) throw new Conflict(`robot account ${name} already exists`);
  try {
    await insertRobot(db, secrets, name, input);
  } catch (err) {
    // A concurrent request that took the name first loses on the unique index.
    if (await findNamespace(db, name)) throw new Conflict(`robot account ${name} already exists`);
    throw err;
  }
  return getRobot(db, input.owner, input.shortname);
}

async function insertRobot(db: Kysely<Database>, secrets: SecretBox, name: string, input: NewRobot): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('namespace')
      .values({
        uuid: randomUUID(),
        name,
        kind: 'robot',
        email: null,
        password_hash: null,
        enabled: 1,
        removed_tag_expiration_s: input.owner.removed_tag_expiration_s,
        created_at: nowMs(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('robot')
      .values({
        namespace_id: row.id,
        owner_id: input.owner.id,
        description: input.description ?? '',
        unstructured_metadata: JSON.stringify(input.unstructuredMetadata ?? {}),
        token_encrypted: secrets.seal(generateRobotToken()),
      })
      .execute();
  });
}

/** The robot's token in the clear (Quay shows it to namespace admins on request). */
export function revealRobotToken(secrets: SecretBox, robot: Robot): string {
  const token = secrets.open(robot.tokenEncrypted);
  if (token === undefined) throw new Error(`robot ${robot.name}: token cannot be decrypted with this DATABASE_SECRET_KEY`);
  return token;
}

export async function regenerateRobotToken(db: Kysely<Database>, secrets: SecretBox, robot: Robot): Promise<Robot> {
  await db
    .updateTable('robot')
    .set({ token_encrypted: secrets.seal(generateRobotToken()) })
    .where('namespace_id', '=', robot.id)
    .execute();
  const updated = await findRobot(db, robot.name);
  if (!updated) throw new NotFound('robot', `robot account ${robot.name} not found`);
  return updated;
}

/** Deleting the robot's namespace row cascades to its token, team memberships and permissions. */
export async function deleteRobot(db: Kysely<Database>, robot: Robot): Promise<void> {
  await db.deleteFrom('namespace').where('id', '=', robot.id).where('kind', '=', 'robot').execute();
}

/** Deletes every robot of a user or organization, as deleteRobot does one. */
export async function deleteRobotsOwnedBy(db: Kysely<Database>, ownerId: number): Promise<void> {
  const robots = db.selectFrom('robot').select('namespace_id').where('owner_id', '=', ownerId);
  await db.deleteFrom('namespace').where('kind', '=', 'robot').where('id', 'in', robots).execute();
}

/** The robot named `fullName` when `token` is its token and both it and its owner are enabled. */
export async function verifyRobotToken(
  db: Kysely<Database>,
  secrets: SecretBox,
  fullName: string,
  token: string,
): Promise<Robot | undefined> {
  const robot = await findRobot(db, fullName);
  if (!robot?.enabled) return undefined;
  return sealedSecretMatches(secrets, robot.tokenEncrypted, token) ? robot : undefined;
}

/** One repository permission held directly by a robot. */
export interface RobotPermission {
  namespaceName: string;
  repositoryName: string;
  visibility: RepositoryVisibility;
  role: RepositoryRole;
}

/** The repositories on which each of `robotIds` holds a permission of its own (not through a team). */
export async function listDirectRobotPermissions(
  db: Kysely<Database>,
  robotIds: readonly number[],
): Promise<Map<number, RobotPermission[]>> {
  const byRobot = new Map<number, RobotPermission[]>();
  if (robotIds.length === 0) return byRobot;
  const rows = await db
    .selectFrom('repository_permission')
    .innerJoin('repository', 'repository.id', 'repository_permission.repository_id')
    .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
    .select([
      'repository_permission.member_id as robot_id',
      'namespace.name as namespace_name',
      'repository.name as repository_name',
      'repository.visibility as visibility',
      'repository_permission.role as role',
    ])
    .where('repository_permission.member_id', 'in', [...robotIds])
    .where('repository.state', '!=', 'MARKED_FOR_DELETION')
    .orderBy('namespace.name')
    .orderBy('repository.name')
    .execute();
  for (const row of rows) {
    if (row.robot_id === null) continue;
    const list = byRobot.get(row.robot_id) ?? [];
    list.push({
      namespaceName: row.namespace_name,
      repositoryName: row.repository_name,
      visibility: row.visibility,
      role: row.role,
    });
    byRobot.set(row.robot_id, list);
  }
  return byRobot;
}

/** The names of the teams each of `robotIds` belongs to. */
export async function listRobotTeamNames(
  db: Kysely<Database>,
  robotIds: readonly number[],
): Promise<Map<number, string[]>> {
  const byRobot = new Map<number, string[]>();
  if (robotIds.length === 0) return byRobot;
  const rows = await db
    .selectFrom('team_member')
    .innerJoin('team', 'team.id', 'team_member.team_id')
    .select(['team_member.member_id as robot_id', 'team.name as team_name'])
    .where('team_member.member_id', 'in', [...robotIds])
    .orderBy('team.name')
    .execute();
  for (const row of rows) {
    const list = byRobot.get(row.robot_id) ?? [];
    list.push(row.team_name);
    byRobot.set(row.robot_id, list);
  }
  return byRobot;
}

/** Whether a repository mirror pushes as this robot. */
export async function robotIsMirrorRobot(db: Kysely<Database>, robot: Robot): Promise<boolean> {
  const row = await db
    .selectFrom('repo_mirror_config')
    .select('repository_id')
    .where('internal_robot_id', '=', robot.id)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Deletes a robot account (with its token, team memberships and permissions), refusing while a
 * repository mirror depends on it: the mirror would silently lose the identity it pushes with.
 */
export async function deleteRobotAccount(db: Kysely<Database>, robot: Robot): Promise<void> {
  if (await robotIsMirrorRobot(db, robot)) {
    throw new Invalid('input', `robot account ${robot.name} is used by a repository mirror: change the mirror first`);
  }
  await deleteRobot(db, robot);
}
