import { Type as T } from '@sinclair/typebox';
import {
  createMessage,
  deleteMessage,
  type GlobalMessage,
  listMessages,
  MESSAGE_MEDIA_TYPES,
  MESSAGE_SEVERITIES,
} from '../model/messages.js';
import type { ApiRouter } from './router.js';
import { superuserWriting } from './superuser-access.js';

/**
 * Global messages (Quay's endpoints/api/globalmessages.py): banners that anyone, signed in or not,
 * may read, and that superusers create and delete.
 */

const NewMessageBody = T.Object({
  message: T.Object({
    content: T.String({ description: 'The message text.' }),
    media_type: T.Union(
      MESSAGE_MEDIA_TYPES.map((type) => T.Literal(type)),
      { description: 'How the content is rendered.' },
    ),
    severity: T.Union(
      MESSAGE_SEVERITIES.map((severity) => T.Literal(severity)),
      { description: 'How prominently the banner shows.' },
    ),
  }),
});

function messageView(message: GlobalMessage) {
  return { uuid: message.uuid, content: message.content, severity: message.severity, media_type: message.mediaType };
}

export function registerMessagesRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/messages',
    summary: 'List the global messages (anyone may read them).',
    tag: 'messages',
    async handler(call) {
      return { messages: (await listMessages(call.ctx.db)).map(messageView) };
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/messages',
    summary: 'Create a global message (superusers only).',
    tag: 'messages',
    body: NewMessageBody,
    status: 201,
    async handler(call) {
      await superuserWriting(call);
      const { content, media_type: mediaType, severity } = call.body.message;
      await createMessage(call.ctx.db, { content, mediaType, severity });
      // Quay answers 201 with an empty body; clients list the messages again.
      return undefined;
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/message/{uuid}',
    summary: 'Delete a global message (superusers only); deleting one that is gone also succeeds, as in Quay.',
    tag: 'messages',
    status: 204,
    async handler(call) {
      await superuserWriting(call);
      await deleteMessage(call.ctx.db, call.params['uuid'] ?? '');
      return undefined;
    },
  });
}
