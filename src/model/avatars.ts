import { createHash } from 'node:crypto';
import type { NamespaceKind } from '../db/tables.js';
import type { AccountSummary } from './namespaces.js';

/** Quay's avatar block, shared by API responses and the documents workers write (log exports). */

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

const ACCOUNT_AVATAR_KIND: Record<NamespaceKind, AvatarKind> = { user: 'user', organization: 'org', robot: 'robot' };

/** The avatar of a user, organization or robot account. */
export function accountAvatar(account: Pick<AccountSummary, 'name' | 'email' | 'kind'>): AvatarView {
  return avatarView(account.name, account.email, ACCOUNT_AVATAR_KIND[account.kind]);
}

/** A team's avatar: teams have no e-mail address, so it follows from the name. */
export function teamAvatar(teamName: string): AvatarView {
  return avatarView(teamName, null, 'team');
}
