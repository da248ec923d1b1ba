import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, MessageSeverity } from '../db/tables.js';
import { nowMs } from './clock.js';

/** Globally visible messages (Quay's Messages): banners every visitor of the web UI sees. */

export const MESSAGE_SEVERITIES = ['info', 'warning', 'error'] as const satisfies readonly MessageSeverity[];
export const MESSAGE_MEDIA_TYPES = ['text/plain', 'text/markdown'] as const;
export type MessageMediaType = (typeof MESSAGE_MEDIA_TYPES)[number];

export interface GlobalMessage {
  uuid: string;
  content: string;
  severity: MessageSeverity;
  mediaType: string;
}

export interface NewGlobalMessage {
  content: string;
  severity: MessageSeverity;
  mediaType: MessageMediaType;
}

/** Every message, oldest first. */
export async function listMessages(db: Kysely<Database>): Promise<GlobalMessage[]> {
  const rows = await db.selectFrom('message').select(['uuid', 'content', 'severity', 'media_type']).orderBy('id').execute();
  return rows.map((row) => ({ uuid: row.uuid, content: row.content, severity: row.severity, mediaType: row.media_type }));
}

export async function createMessage(db: Kysely<Database>, input: NewGlobalMessage): Promise<GlobalMessage> {
  const message = { uuid: randomUUID(), content: input.content, severity: input.severity, mediaType: input.mediaType };
  await db
    .insertInto('message')
    .values({
      uuid: message.uuid,
      content: message.content,
      severity: message.severity,
      media_type: message.mediaType,
      created_at: nowMs(),
    })
    .execute();
  return message;
}

/** Deletes the message; whether there was one. */
export async function deleteMessage(db: Kysely<Database>, uuid: string): Promise<boolean> {
  const result = await db.deleteFrom('message').where('uuid', '=', uuid).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
