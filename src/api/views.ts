import { createHash } from 'node:crypto';

/** Small JSON pieces that many Quay API responses share. */

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

export type AvatarKind = 'user' | 'org' | 'robot' | 'team';

export interface AvatarView {
  name: string;
  hash: string;
  color: string;
  kind: AvatarKind;
}

// A fixed palette; the colour follows from the hash, so an account keeps its colour.
const AVATAR_COLORS = [
  '#969696', '#aec7e8', '#ff7f0e', '#ffbb78', '#2ca02c', '#98df8a', '#d62728', '#ff9896',
  '#9467bd', '#c5b0d5', '#8c564b', '#c49c94', '#e377c2', '#f7b6d2', '#7f7f7f', '#c7c7c7',
];

/** The avatar block Quay attaches to users, organizations, robots and teams. */
export function avatarView(name: string, email: string | null | undefined, kind: AvatarKind): AvatarView {
  const hash = createHash('md5').update((email ?? name).trim().toLowerCase(), 'utf8').digest('hex');
  const color = AVATAR_COLORS[Number.parseInt(hash.slice(0, 4), 16) % AVATAR_COLORS.length]!;
  return { name, hash, color, kind };
}
