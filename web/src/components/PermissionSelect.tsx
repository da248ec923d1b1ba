import { FormSelect, FormSelectOption } from '@patternfly/react-core';

export type RepositoryRole = 'read' | 'write' | 'admin';
export const REPOSITORY_ROLES: RepositoryRole[] = ['read', 'write', 'admin'];

const LABELS: Record<RepositoryRole | 'none', string> = { read: 'Read', write: 'Write', admin: 'Admin', none: 'None' };

/** Read / Write / Admin (and None when `allowNone`) for a repository permission. */
export function PermissionSelect(props: {
  value: RepositoryRole | 'none';
  onChange(role: RepositoryRole | 'none'): void;
  allowNone?: boolean;
  ariaLabel?: string;
  id?: string;
  isDisabled?: boolean;
}) {
  const options: (RepositoryRole | 'none')[] = props.allowNone ? ['none', ...REPOSITORY_ROLES] : REPOSITORY_ROLES;
  return (
    <FormSelect
      id={props.id}
      value={props.value}
      aria-label={props.ariaLabel ?? 'Permission'}
      isDisabled={props.isDisabled}
      onChange={(_e, value) => props.onChange(value as RepositoryRole | 'none')}
    >
      {options.map((role) => (
        <FormSelectOption key={role} value={role} label={LABELS[role]} />
      ))}
    </FormSelect>
  );
}
