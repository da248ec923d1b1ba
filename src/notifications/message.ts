import type { EventData, EventDefinition } from './events.js';

/** What people read about an event (e-mail, Slack): a summary, detail lines and a link. */
export interface EventMessage {
  summary: string;
  lines: string[];
  homepage: string;
}

export function eventMessage(event: EventDefinition, data: EventData): EventMessage {
  return {
    summary: event.summary(data),
    lines: event.details(data),
    homepage: typeof data['homepage'] === 'string' ? data['homepage'] : '',
  };
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
