/** Quay's date formats, shared by API responses and the documents workers write (log exports). */

/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Quay's date format (RFC 2822 in UTC, as Python's formatdate writes it): "Mon, 10 Jun 2024 06:13:20 -0000". */
export function formatQuayDate(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const d = new Date(ms);
  return (
    `${WEEKDAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} -0000`
  );
}

/** `%m/%d/%Y` of a time in UTC, as Quay writes the days of a log export job. */
export function formatQuayDay(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()}`;
}

/** `YYYY-MM-DD` of a time in UTC, as Quay dates a repository's daily action counts. */
export function formatIsoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** RFC 1123 in UTC ("Mon, 10 Jun 2024 06:13:20 GMT"), as Flask serializes some of Quay's datetime values. */
export function formatHttpDate(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toUTCString();
}
