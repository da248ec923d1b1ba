import type { TagView } from '../../api/tags';

/**
 * Turns the rows of a repository's tag history (one row per span of time a tag pointed at one
 * manifest) into the events a person reads: created, moved, restored, deleted, will expire.
 * A row that ends the very second the next row of the same tag starts is one move, not a
 * deletion and a creation.
 */

/** A span of a tag's history: one row of GET .../tag/ with onlyActiveTags=false. */
export type TagHistoryRow = TagView;

export type TagEventKind = 'created' | 'moved' | 'restored' | 'deleted' | 'will-expire';

export interface TagEvent {
  id: string;
  tag: string;
  kind: TagEventKind;
  /** Epoch seconds. */
  at: number;
  /** The manifest the tag pointed at after the event (before it, for deleted / will expire). */
  digest: string;
  /** The manifest the tag pointed at before a move or restore. */
  previousDigest?: string;
  /** A manifest this event took away from the tag, which the time machine can bring back. */
  restorableDigest?: string;
}

/** Rows one second apart or closer are contiguous: the API rounds times down to seconds. */
function contiguous(end: number | undefined, start: number | undefined): boolean {
  return end !== undefined && start !== undefined && Math.abs(start - end) <= 1;
}

function startEvent(row: TagHistoryRow, previous: TagHistoryRow | undefined, at: number): TagEvent {
  const base = { id: `${row.name}@${at}:start:${row.manifest_digest}`, tag: row.name, at, digest: row.manifest_digest };
  if (previous && contiguous(previous.end_ts, row.start_ts)) {
    const moved = previous.manifest_digest !== row.manifest_digest;
    return {
      ...base,
      kind: row.reversion ? 'restored' : moved ? 'moved' : 'created',
      previousDigest: previous.manifest_digest,
      ...(moved ? { restorableDigest: previous.manifest_digest } : {}),
    };
  }
  return { ...base, kind: row.reversion ? 'restored' : 'created' };
}

function endEvent(row: TagHistoryRow, end: number, nowS: number): TagEvent {
  const future = end > nowS;
  return {
    id: `${row.name}@${end}:end:${row.manifest_digest}`,
    tag: row.name,
    kind: future ? 'will-expire' : 'deleted',
    at: end,
    digest: row.manifest_digest,
    ...(future ? {} : { restorableDigest: row.manifest_digest }),
  };
}

function eventsOfOneTag(rows: TagHistoryRow[], nowS: number): TagEvent[] {
  // Two pushes in one second start in the same second: the span that has ended came first.
  const ordered = [...rows].sort(
    (a, b) => (a.start_ts ?? 0) - (b.start_ts ?? 0) || (a.end_ts ?? Number.POSITIVE_INFINITY) - (b.end_ts ?? Number.POSITIVE_INFINITY),
  );
  const events: TagEvent[] = [];
  ordered.forEach((row, index) => {
    const previous = ordered[index - 1];
    const next = ordered[index + 1];
    if (row.start_ts !== undefined) events.push(startEvent(row, previous, row.start_ts));
    if (row.end_ts !== undefined && !contiguous(row.end_ts, next?.start_ts)) events.push(endEvent(row, row.end_ts, nowS));
  });
  const live = ordered.find((row) => row.end_ts === undefined || row.end_ts > nowS);
  // Restoring the manifest the tag already points at would change nothing.
  return events.map((event) =>
    event.restorableDigest !== undefined && event.restorableDigest === live?.manifest_digest
      ? { ...event, restorableDigest: undefined }
      : event,
  );
}

/** Every event of every tag, newest first. */
export function tagEvents(rows: TagHistoryRow[], nowS: number): TagEvent[] {
  const byTag = new Map<string, TagHistoryRow[]>();
  for (const row of rows) byTag.set(row.name, [...(byTag.get(row.name) ?? []), row]);
  // Within one tag, events come out oldest first: their position breaks ties of the same second.
  return [...byTag.values()]
    .flatMap((tagRows) => eventsOfOneTag(tagRows, nowS).map((event, position) => ({ event, position })))
    .sort((a, b) => b.event.at - a.event.at || a.event.tag.localeCompare(b.event.tag) || b.position - a.position)
    .map(({ event }) => event);
}
