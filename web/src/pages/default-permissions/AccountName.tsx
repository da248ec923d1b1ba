import { Label } from '@patternfly/react-core';
import { UserIcon, UsersIcon, CogIcon } from '@patternfly/react-icons';

/** The kind of account a default permission names, as the user reads it. */
export function accountKind(account: { kind: string; is_robot?: boolean }): 'team' | 'robot' | 'user' {
  if (account.kind === 'team') return 'team';
  return account.is_robot ? 'robot' : 'user';
}

const ICONS = { team: <UsersIcon />, robot: <CogIcon />, user: <UserIcon /> } as const;

/** A user, robot or team name with an icon saying which; removable when `onRemove` is given. */
export function AccountName(props: { account: { name: string; kind: string; is_robot?: boolean }; onRemove?: () => void; testId?: string }) {
  const kind = accountKind(props.account);
  return (
    <Label
      icon={ICONS[kind]}
      color={kind === 'team' ? 'purple' : kind === 'robot' ? 'orange' : 'blue'}
      onClose={props.onRemove}
      closeBtnAriaLabel={`Remove ${props.account.name}`}
      title={`${props.account.name} (${kind})`}
      data-testid={props.testId}
      className="qs-wrap-anywhere"
    >
      {props.account.name}
    </Label>
  );
}
