/**
 * What a usage-log entry means to a person: a short title for its kind ("Push to repository")
 * and a sentence built from its metadata. A template names metadata fields in braces; when one of
 * them is missing the generic summary of the metadata is shown instead.
 */

type Metadata = Record<string, unknown>;

interface KindText {
  title: string;
  template?: string;
  /** Sentences for particular entries of the kind, by the key `variant` makes of their metadata; the template covers the others. */
  variant?: (metadata: Metadata) => string;
  variants?: Record<string, string>;
}

/** `changed=to` of a repo_mirror_config_changed entry, e.g. `is_enabled=false`. */
const mirrorChange = (metadata: Metadata): string => `${String(metadata['changed'])}=${String(metadata['to'])}`;

const KINDS: Record<string, KindText> = {
  account_change_password: { title: 'Change password', template: 'Changed the account password' },
  add_repo_notification: { title: 'Add repository notification', template: 'Added a {event} notification to {namespace}/{repo}' },
  change_repo_permission: { title: 'Change repository permission', template: 'Set {role} permission on {namespace}/{repo}' },
  change_repo_state: { title: 'Change repository state', template: 'Changed the state of {namespace}/{repo} to {state_changed}' },
  change_repo_visibility: { title: 'Change repository visibility', template: 'Made {namespace}/{repo} {visibility}' },
  change_tag_expiration: { title: 'Change tag expiration', template: 'Changed the expiration of tag {tag} in {namespace}/{repo}' },
  create_app_specific_token: { title: 'Create application token', template: 'Created application token {app_specific_token_title}' },
  create_application: { title: 'Create OAuth application', template: 'Created OAuth application {name}' },
  create_prototype_permission: { title: 'Create default permission', template: 'Created a default {role} permission' },
  create_repo: { title: 'Create repository', template: 'Created repository {namespace}/{repo}' },
  create_robot: { title: 'Create robot account', template: 'Created robot account {robot}' },
  create_tag: { title: 'Create tag', template: 'Created tag {tag} in {namespace}/{repo} at {manifest_digest}' },
  delete_application: { title: 'Delete OAuth application', template: 'Deleted OAuth application {application_name}' },
  delete_prototype_permission: { title: 'Delete default permission', template: 'Deleted a default {role} permission' },
  delete_repo: { title: 'Delete repository', template: 'Deleted repository {namespace}/{repo}' },
  delete_repo_notification: { title: 'Delete repository notification', template: 'Deleted a notification of {namespace}/{repo}' },
  delete_repo_permission: { title: 'Delete repository permission', template: 'Removed a permission on {namespace}/{repo}' },
  delete_robot: { title: 'Delete robot account', template: 'Deleted robot account {robot}' },
  delete_tag: { title: 'Delete tag', template: 'Deleted tag {tag} from {namespace}/{repo}' },
  disable_team_sync: { title: 'Disable team sync', template: 'Stopped syncing team {team}' },
  enable_team_sync: { title: 'Enable team sync', template: 'Started syncing team {team}' },
  export_logs_failure: { title: 'Export logs failed', template: 'Log export was refused: {error}' },
  export_logs_success: { title: 'Export logs', template: 'Queued log export {export_id}' },
  login_failure: { title: 'Failed sign-in', template: 'Failed sign-in as {username}: {message}' },
  login_success: { title: 'Sign in', template: 'Signed in' },
  logout_success: { title: 'Sign out', template: 'Signed out' },
  oauth_token_assigned: { title: 'Grant OAuth token', template: 'Granted a token to application {application}' },
  oauth_token_revoked: { title: 'Revoke OAuth token', template: 'Revoked the token of application {application}' },
  manifest_label_add: { title: 'Add label', template: 'Added label {key}={value} to {manifest_digest}' },
  manifest_label_delete: { title: 'Delete label', template: 'Deleted label {key} from {manifest_digest}' },
  modify_prototype_permission: { title: 'Change default permission', template: 'Changed a default permission to {role}' },
  move_tag: {
    title: 'Move tag',
    template: 'Moved tag {tag} in {namespace}/{repo} from {original_manifest_digest} to {manifest_digest}',
  },
  org_add_team_member: { title: 'Add team member', template: 'Added {member} to team {team}' },
  org_change_email: { title: 'Change organization e-mail', template: 'Changed the e-mail of {namespace} to {email}' },
  org_change_name: { title: 'Rename organization', template: 'Renamed organization {old_name} to {new_name}' },
  org_change_quota: { title: 'Change quota', template: 'Changed the quota of {namespace} to {limit}' },
  org_change_quota_limit: { title: 'Change quota limit', template: 'Changed a {type} quota limit of {namespace}' },
  org_change_tag_expiration: { title: 'Change time machine', template: 'Changed the time machine window of {namespace}' },
  org_create: { title: 'Create organization', template: 'Created organization {namespace}' },
  org_create_quota: { title: 'Create quota', template: 'Set a quota of {limit} on {namespace}' },
  org_create_quota_limit: { title: 'Create quota limit', template: 'Added a {type} limit at {threshold_percent}% to {namespace}' },
  org_create_team: { title: 'Create team', template: 'Created team {team}' },
  org_delete: { title: 'Delete organization', template: 'Deleted organization {namespace}' },
  org_delete_quota: { title: 'Delete quota', template: 'Removed the quota of {namespace}' },
  org_delete_quota_limit: { title: 'Delete quota limit', template: 'Removed a {type} quota limit of {namespace}' },
  org_delete_team: { title: 'Delete team', template: 'Deleted team {team}' },
  org_delete_team_member_invite: { title: 'Cancel team invitation', template: 'Cancelled the invitation of {member} to team {team}' },
  org_invite_team_member: { title: 'Invite team member', template: 'Invited {member} to team {team}' },
  org_remove_team_member: { title: 'Remove team member', template: 'Removed {member} from team {team}' },
  org_set_team_description: { title: 'Change team description', template: 'Changed the description of team {team}' },
  org_set_team_role: { title: 'Change team role', template: 'Set the role of team {team} to {role}' },
  org_team_member_invite_accepted: { title: 'Accept team invitation', template: '{member} joined team {team}' },
  org_team_member_invite_declined: { title: 'Decline team invitation', template: '{member} declined to join team {team}' },
  permanently_delete_tag: { title: 'Permanently delete tag', template: 'Removed tag {tag} at {manifest_digest} from the time machine' },
  pull_repo: { title: 'Pull repository', template: 'Pulled {namespace}/{repo}' },
  push_repo: { title: 'Push to repository', template: 'Pushed tag {tag} to {namespace}/{repo}' },
  regenerate_robot_token: { title: 'Regenerate robot token', template: 'Regenerated the token of robot account {robot}' },
  repo_mirror_config_changed: {
    title: 'Change repository mirror',
    template: 'Changed the mirror {changed} of {namespace}/{repo}',
    // Quay logs the enable toggle, sync now and cancel as changes of is_enabled and sync_status.
    variant: mirrorChange,
    variants: {
      'is_enabled=true': 'Enabled mirroring of {namespace}/{repo}',
      'is_enabled=false': 'Disabled mirroring of {namespace}/{repo}',
      'sync_status=SYNC_NOW': 'Asked for an immediate sync of {namespace}/{repo}',
      'sync_status=SYNC_CANCEL': 'Cancelled the sync of {namespace}/{repo}',
    },
  },
  repo_mirror_disabled: { title: 'Disable repository mirror', template: 'Disabled mirroring of {namespace}/{repo}' },
  repo_mirror_enabled: { title: 'Enable repository mirror', template: 'Enabled mirroring of {namespace}/{repo}' },
  repo_mirror_sync_failed: { title: 'Mirror sync failed', template: 'Mirroring of {namespace}/{repo} failed' },
  repo_mirror_sync_now_requested: { title: 'Mirror sync requested', template: 'Asked for an immediate sync of {namespace}/{repo}' },
  repo_mirror_sync_started: { title: 'Mirror sync started', template: 'Mirroring of {namespace}/{repo} started' },
  repo_mirror_sync_success: { title: 'Mirror sync succeeded', template: 'Mirroring of {namespace}/{repo} succeeded' },
  repo_mirror_sync_tag_failed: { title: 'Mirror tag sync failed', template: 'Mirroring of tag {tag} to {namespace}/{repo} failed' },
  repo_mirror_sync_tag_success: { title: 'Mirror tag synced', template: 'Mirrored tag {tag} to {namespace}/{repo}' },
  reset_application_client_secret: { title: 'Reset client secret', template: 'Reset the client secret of {application_name}' },
  reset_repo_notification: { title: 'Reset repository notification', template: 'Re-enabled a notification of {namespace}/{repo}' },
  revert_tag: { title: 'Restore tag', template: 'Restored tag {tag} in {namespace}/{repo} to {manifest_digest}' },
  revoke_app_specific_token: { title: 'Revoke application token', template: 'Revoked application token {app_specific_token_title}' },
  service_key_approve: { title: 'Approve service key', template: 'Approved service key {kid}' },
  service_key_create: { title: 'Create service key', template: 'Created service key {kid}' },
  service_key_delete: { title: 'Delete service key', template: 'Deleted service key {kid}' },
  service_key_extend: { title: 'Extend service key', template: 'Extended service key {kid}' },
  service_key_modify: { title: 'Change service key', template: 'Changed service key {kid}' },
  service_key_rotate: { title: 'Rotate service key', template: 'Rotated service key {kid}' },
  set_repo_description: { title: 'Change repository description', template: 'Changed the description of {namespace}/{repo}' },
  take_ownership: { title: 'Take ownership', template: 'Took ownership of {namespace}' },
  update_application: { title: 'Change OAuth application', template: 'Changed OAuth application {name}' },
  user_change_tag_expiration: { title: 'Change time machine', template: 'Changed the time machine window of the account' },
  user_change_email: { title: 'Change e-mail', template: 'Changed the e-mail address to {email}' },
  user_change_password: { title: 'Change user password', template: 'Changed the password of {username}' },
  user_create: { title: 'Create user', template: 'Created user {username}' },
  user_delete: { title: 'Delete user', template: 'Deleted user {username}' },
  user_disable: { title: 'Disable user', template: 'Disabled user {username}' },
  user_enable: { title: 'Enable user', template: 'Enabled user {username}' },
};

/** The metadata fields not worth repeating in a summary (they name who did it, or are internal). */
const NOISE_FIELDS = new Set(['username', 'useragent', 'user-agent', 'is_robot', 'oauth_token', 'superuser', 'mediaType']);

export function kindTitle(kind: string): string {
  const known = KINDS[kind];
  if (known) return known.title;
  const words = kind.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fieldText(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'string') return value.startsWith('sha256:') ? value.slice(0, 19) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function fillTemplate(template: string, metadata: Metadata): string | undefined {
  let missing = false;
  const text = template.replace(/\{([\w-]+)\}/g, (_match, key: string) => {
    const value = fieldText(metadata[key]);
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : text;
}

function summarize(metadata: Metadata): string {
  return Object.entries(metadata)
    .filter(([key]) => !NOISE_FIELDS.has(key))
    .map(([key, value]) => [key, fieldText(value)] as const)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key.replace(/_/g, ' ')}: ${value}`)
    .join(', ');
}

export function describeLog(kind: string, metadata: Metadata | null | undefined): string {
  const fields = metadata ?? {};
  const known = KINDS[kind];
  const template = (known?.variant && known.variants?.[known.variant(fields)]) ?? known?.template;
  const described = template ? fillTemplate(template, fields) : undefined;
  return described ?? (summarize(fields) || kindTitle(kind));
}
