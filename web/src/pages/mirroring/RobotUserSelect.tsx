import { FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem } from '@patternfly/react-core';
import { useMemo, useState } from 'react';
import { useCurrentUser } from '../../api/session';
import { CreateRobotWizard } from '../robots/CreateRobotWizard';
import { type RobotScope, useRobots } from '../robots/robotsApi';

/** The select's value that opens the robot wizard instead of choosing a robot; robot names always contain a `+`. */
const CREATE_ROBOT = 'create-new-robot';

/**
 * The robot account that pushes mirrored tags: one of the namespace's robots, or a new one made
 * with the robots tab's wizard. A user's robots can only be listed by that user, so another admin
 * of a user's repository sees just the robot already chosen.
 */
export function RobotUserSelect(props: {
  id: string;
  namespace: string;
  isOrganization: boolean;
  value: string;
  invalid: boolean;
  onChange(robot: string): void;
}) {
  const currentUser = useCurrentUser().data;
  const listable = props.isOrganization || currentUser?.username === props.namespace;
  const scope = useMemo<RobotScope>(
    () => ({ namespace: props.namespace, isOrganization: props.isOrganization }),
    [props.namespace, props.isOrganization],
  );
  const robots = useRobots(scope);
  const [creating, setCreating] = useState(false);

  const names = new Set(listable ? (robots.data ?? []).map((robot) => robot.name) : []);
  if (props.value) names.add(props.value);
  const sorted = [...names].sort((a, b) => a.localeCompare(b));

  return (
    <>
      <FormSelect
        id={props.id}
        value={props.value}
        validated={props.invalid ? 'error' : 'default'}
        onChange={(_e, value) => (value === CREATE_ROBOT ? setCreating(true) : props.onChange(value))}
      >
        <FormSelectOption value="" label={robots.isPending && listable ? 'Loading robot accounts…' : 'Choose a robot account'} isPlaceholder />
        {sorted.map((name) => (
          <FormSelectOption key={name} value={name} label={name} />
        ))}
        {listable && <FormSelectOption value={CREATE_ROBOT} label="Create robot account…" />}
      </FormSelect>
      {listable && robots.isError && (
        <FormHelperText>
          <HelperText>
            <HelperTextItem variant="warning">Could not list the robot accounts: {robots.error.message}</HelperTextItem>
          </HelperText>
        </FormHelperText>
      )}
      {listable && (
        <CreateRobotWizard scope={scope} isOpen={creating} onClose={() => setCreating(false)} onCreated={props.onChange} />
      )}
    </>
  );
}
