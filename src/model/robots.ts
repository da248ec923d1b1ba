import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { SecretBox } from '../auth/secret-box.js';
import type { Database } from '../db/tables.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { nowMs } from './clock.js';
import { findNamespace, type Namespace } from './namespaces.js';

/** Robot accounts: `owner+short`, a namespace row of kind 'robot' plus its token and description. */

const ROBOT_SHORTNAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TOKEN_LENGTH = 64;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

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
  let token = '';
  for (let i = 0; i < TOKEN_LENGTH; i++) token += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return token;
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
  let metadata: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.unstructured_metadata);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) metadata = parsed as Record<string, unknown>;
  } catch {
    // Stored by us as JSON; an unreadable value shows as empty rather than failing the listing.
  }
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    ownerName: row.owner_name,
    description: row.description,
    unstructuredMetadata: metadata,
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

export async function listRobots(db: Kysely<Database>, ownerId: number): Promise<Robot[]> {
  const rows = await robotQuery(db).where('robot.owner_id', '=', ownerId).orderBy('robot_ns.name').execute();
  return rows.map(toRobot);
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
  if (await findNamespace(db, name)) throw new Conflict(`robot account ${name} already exists`);
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
  return getRobot(db, input.owner, input.shortname);
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

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
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
  const stored = secrets.open(robot.tokenEncrypted);
  return stored !== undefined && sameText(stored, token) ? robot : undefined;
}
