/**
 * The time-machine windows an organization may choose. The server accepts exactly the durations of
 * TAG_EXPIRATION_OPTIONS ("0s", "1d", "2w", ...), so the choices come from GET /config rather
 * than from a fixed list.
 */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
type Unit = keyof typeof UNIT_SECONDS;
const UNIT_NAMES: Record<Unit, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week' };
const LARGEST_UNIT_FIRST: Unit[] = ['w', 'd', 'h', 'm', 's'];

export interface TimeMachineChoice {
  seconds: number;
  label: string;
}

/** "2w" -> 1209600; undefined for text the server would not accept either. */
export function durationSeconds(text: string): number | undefined {
  const match = /^([0-9]+)([smhdw])$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] as Unit];
}

const DAY = 86_400;
const CALENDAR_UNITS = [
  { days: 365, name: 'year' },
  { days: 30, name: 'month' },
] as const;

/**
 * 1209600 -> "2 weeks", 2592000 (30d) -> "1 month", 31536000 (365d) -> "1 year"; 0 means deleted
 * tags are not kept at all.
 */
export function timeMachineLabel(seconds: number): string {
  if (seconds === 0) return 'None: deleted tags are not kept';
  for (const { days, name } of CALENDAR_UNITS) {
    if (seconds % (days * DAY) === 0) {
      const amount = seconds / (days * DAY);
      return `${amount} ${name}${amount === 1 ? '' : 's'}`;
    }
  }
  const unit = LARGEST_UNIT_FIRST.find((u) => seconds % UNIT_SECONDS[u] === 0) ?? 's';
  const amount = seconds / UNIT_SECONDS[unit];
  return `${amount} ${UNIT_NAMES[unit]}${amount === 1 ? '' : 's'}`;
}

/**
 * The configured choices, shortest first, plus `current` when it is not among them (a window
 * set before the options changed), so the form never shows a value it did not load.
 */
export function timeMachineChoices(options: readonly string[], current: number | undefined): TimeMachineChoice[] {
  const seconds = new Set<number>();
  for (const option of options) {
    const value = durationSeconds(option);
    if (value !== undefined) seconds.add(value);
  }
  if (current !== undefined) seconds.add(current);
  return [...seconds].sort((a, b) => a - b).map((value) => ({ seconds: value, label: timeMachineLabel(value) }));
}
