import { MenuToggle } from '@patternfly/react-core';
import { EllipsisVIcon } from '@patternfly/react-icons';
import type { CustomActionsToggleProps } from '@patternfly/react-table';

/** A row's kebab toggle (for ActionsColumn's `actionsToggle`) named after what the row is. */
export function labelledKebab(label: string) {
  return (props: CustomActionsToggleProps) => (
    <MenuToggle
      ref={props.toggleRef}
      variant="plain"
      aria-label={label}
      isExpanded={props.isOpen}
      isDisabled={props.isDisabled}
      onClick={props.onToggle}
      icon={<EllipsisVIcon />}
    />
  );
}
