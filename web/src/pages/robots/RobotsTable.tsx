import {
  Button,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Label,
  LabelGroup,
} from '@patternfly/react-core';
import { ActionsColumn, ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { formatDate } from '../../format';
import { type Robot, shortName } from './robotsApi';

export type RobotAction = 'permissions' | 'credentials' | 'delete';

function TeamLabels(props: { teams: { name: string }[] }) {
  if (props.teams.length === 0) return <>None</>;
  return (
    <LabelGroup numLabels={3}>
      {props.teams.map((team) => (
        <Label key={team.name} isCompact>
          {team.name}
        </Label>
      ))}
    </LabelGroup>
  );
}

function RobotDetails(props: { robot: Robot; showTeams: boolean }) {
  const { robot } = props;
  const repositories = robot.repositories ?? [];
  return (
    <DescriptionList isCompact isHorizontal data-testid="robot-details">
      <DescriptionListGroup>
        <DescriptionListTerm>Description</DescriptionListTerm>
        <DescriptionListDescription className="qs-wrap-anywhere">{robot.description || 'No description'}</DescriptionListDescription>
      </DescriptionListGroup>
      <DescriptionListGroup>
        <DescriptionListTerm>Full name</DescriptionListTerm>
        <DescriptionListDescription className="qs-wrap-anywhere">{robot.name}</DescriptionListDescription>
      </DescriptionListGroup>
      {props.showTeams && (
        <DescriptionListGroup>
          <DescriptionListTerm>Teams</DescriptionListTerm>
          <DescriptionListDescription>{(robot.teams ?? []).map((team) => team.name).join(', ') || 'None'}</DescriptionListDescription>
        </DescriptionListGroup>
      )}
      <DescriptionListGroup>
        <DescriptionListTerm>Repositories</DescriptionListTerm>
        <DescriptionListDescription className="qs-wrap-anywhere">{repositories.join(', ') || 'None'}</DescriptionListDescription>
      </DescriptionListGroup>
    </DescriptionList>
  );
}

/** The robot accounts, one expandable row each, with checkboxes and a per-row action menu. */
export function RobotsTable(props: {
  robots: Robot[];
  showTeams: boolean;
  selected: ReadonlySet<string>;
  onSelectedChange(selected: Set<string>): void;
  onAction(action: RobotAction, robotName: string): void;
}) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const allSelected = props.robots.length > 0 && props.robots.every((robot) => props.selected.has(robot.name));
  const setSelected = (names: string[], on: boolean) => {
    const next = new Set(props.selected);
    for (const name of names) {
      if (on) next.add(name);
      else next.delete(name);
    }
    props.onSelectedChange(next);
  };
  const toggleExpanded = (name: string) => {
    const next = new Set(expanded);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setExpanded(next);
  };
  const columnCount = props.showTeams ? 8 : 7;
  return (
    <Table aria-label="Robot accounts" isExpandable data-testid="robots-table">
      <Thead>
        <Tr>
          <Th screenReaderText="Details" />
          <Th
            select={{ isSelected: allSelected, onSelect: (_e, on) => setSelected(props.robots.map((robot) => robot.name), on) }}
            aria-label="Select all robot accounts"
          />
          <Th modifier="wrap">Robot account name</Th>
          {props.showTeams && <Th modifier="wrap">Teams</Th>}
          <Th modifier="wrap">Repositories</Th>
          <Th modifier="wrap">Created</Th>
          <Th modifier="wrap">Last accessed</Th>
          <Th screenReaderText="Actions" />
        </Tr>
      </Thead>
      {props.robots.map((robot, rowIndex) => {
        const isExpanded = expanded.has(robot.name);
        const repositoryCount = robot.repositories?.length ?? 0;
        return (
          <Tbody key={robot.name} isExpanded={isExpanded}>
            <Tr data-testid={`robot-row-${shortName(robot.name)}`}>
              <Td expand={{ rowIndex, isExpanded, onToggle: () => toggleExpanded(robot.name), expandId: 'robot-expand' }} />
              <Td select={{ rowIndex, isSelected: props.selected.has(robot.name), onSelect: (_e, on) => setSelected([robot.name], on) }} />
              <Td dataLabel="Robot account name" className="qs-wrap-anywhere" data-testid="robot-name">
                {robot.name}
              </Td>
              {props.showTeams && (
                <Td dataLabel="Teams">
                  <TeamLabels teams={robot.teams ?? []} />
                </Td>
              )}
              <Td dataLabel="Repositories">
                <Button
                  variant="link"
                  isInline
                  data-testid="robot-repo-count"
                  aria-label={`${repositoryCount} repositories; set repository permissions`}
                  onClick={() => props.onAction('permissions', robot.name)}
                >
                  {repositoryCount}
                </Button>
              </Td>
              <Td dataLabel="Created">{formatDate(robot.created)}</Td>
              <Td dataLabel="Last accessed">{formatDate(robot.last_accessed)}</Td>
              <Td isActionCell>
                <ActionsColumn
                  items={[
                    { title: 'Set repository permissions', onClick: () => props.onAction('permissions', robot.name) },
                    { title: 'View credentials', onClick: () => props.onAction('credentials', robot.name) },
                    { isSeparator: true },
                    { title: 'Delete', onClick: () => props.onAction('delete', robot.name) },
                  ]}
                />
              </Td>
            </Tr>
            <Tr isExpanded={isExpanded}>
              <Td colSpan={columnCount}>
                <ExpandableRowContent>{isExpanded && <RobotDetails robot={robot} showTeams={props.showTeams} />}</ExpandableRowContent>
              </Td>
            </Tr>
          </Tbody>
        );
      })}
    </Table>
  );
}
