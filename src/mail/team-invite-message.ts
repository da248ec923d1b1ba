import type { MailMessage } from './mailer.js';

/** The e-mail that tells someone they were invited to join an organization's team. */

export interface TeamInviteMessageInput {
  /** The address the invitation goes to. */
  to: string;
  /** REGISTRY_TITLE, e.g. "Quayside". */
  registryTitle: string;
  /** `<scheme>://<host>` of the registry's web interface, without a trailing slash. */
  registryUrl: string;
  organization: string;
  team: string;
  /** The user who sent the invitation. */
  inviter: string;
  /** The invitation's code (team_invite.token). */
  code: string;
}

/** Quay's web page for answering an invitation: `/confirminvite?code=<code>`. */
export function teamInviteAcceptUrl(registryUrl: string, code: string): string {
  return `${registryUrl.replace(/\/+$/, '')}/confirminvite?code=${encodeURIComponent(code)}`;
}

export function teamInviteMessage(input: TeamInviteMessageInput): MailMessage {
  const acceptUrl = teamInviteAcceptUrl(input.registryUrl, input.code);
  const text = [
    'Hello,',
    '',
    `${input.inviter} would like you to join the team "${input.team}" of the organization "${input.organization}" on ${input.registryTitle} (${input.registryUrl}).`,
    '',
    'To accept, sign in and open this link:',
    acceptUrl,
    '',
    `API clients may accept with PUT /api/v1/teaminvite/${encodeURIComponent(input.code)} (or decline with DELETE on the same path), signed in as the invited account.`,
    '',
    'If you did not expect this invitation, you can ignore this message: nothing changes until it is accepted.',
  ].join('\n');
  return {
    to: input.to,
    subject: `[${input.registryTitle}] ${input.inviter} invited you to join team ${input.team} of ${input.organization}`,
    text,
  };
}
