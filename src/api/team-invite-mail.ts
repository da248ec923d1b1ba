import { createMailer, mailingConfigured } from '../mail/mailer.js';
import { teamInviteMessage } from '../mail/team-invite-message.js';
import type { TeamInvite } from '../model/teams.js';
import { apiBaseUrl } from './errors.js';
import type { ApiCall } from './router.js';

/**
 * E-mails a new team invitation to the invited user's address or the invited address, as Quay does.
 *
 * Called once the invitation row is written. Quay sends this mail within the request; so do we, but
 * best effort: an unconfigured mail server, a missing address or a failed delivery is logged and the
 * invitation stands (it is listed with includePending and can be accepted by its code). A durable
 * retry would go through the queue, as notifications and log exports do.
 */
export async function mailTeamInvite(call: ApiCall, invite: TeamInvite): Promise<void> {
  const { config } = call.ctx;
  const log = call.request.log;
  const about = { invite: invite.id, organization: invite.organizationName, team: invite.teamName };
  if (!mailingConfigured(config)) {
    log.warn(about, 'team invitation created but not e-mailed: FEATURE_MAILING is on but MAIL_SERVER is not set');
    return;
  }
  const to = invite.user ? invite.user.email : invite.email;
  if (!to) {
    log.warn(about, 'team invitation created but not e-mailed: the invited user has no e-mail address');
    return;
  }
  const inviter = call.actor.principal.kind === 'user' ? call.actor.principal.name : 'An administrator';
  const message = teamInviteMessage({
    to,
    registryTitle: config.REGISTRY_TITLE,
    registryUrl: apiBaseUrl(config, call.request.headers.host),
    organization: invite.organizationName,
    team: invite.teamName,
    inviter,
    code: invite.token,
  });
  try {
    await createMailer(config).send(message);
  } catch (err) {
    // The error's message and code only: nothing of the SMTP credentials or the invitation code.
    const reason = err instanceof Error ? err.message : String(err);
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    log.warn({ ...about, reason, code }, 'team invitation created but its e-mail could not be sent');
  }
}
