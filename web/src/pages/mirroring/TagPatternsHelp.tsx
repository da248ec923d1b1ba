import { Content, FormGroupLabelHelp, Popover } from '@patternfly/react-core';
import { useRef } from 'react';

const SYNTAX: [pattern: string, meaning: string][] = [
  ['*', 'any run of characters, also none'],
  ['?', 'exactly one character'],
  ['[seq]', 'one character out of seq, e.g. [0-9] or [abc]'],
  ['[!seq]', 'one character that is not in seq'],
];

const EXAMPLES: [patterns: string, mirrors: string][] = [
  ['latest', 'only the tag latest'],
  ['v1.*, stable', 'every v1.x tag and stable'],
  ['v[0-9].[0-9]', 'v1.0 to v9.9, one digit each'],
  ['*-rc[!0]', 'tags ending in -rc and one character other than 0'],
];

/** The "?" beside the Tags label: the glob syntax of the patterns, with examples. */
export function TagPatternsHelp() {
  const trigger = useRef<HTMLSpanElement>(null);
  return (
    <Popover
      triggerRef={trigger}
      headerContent="Tag patterns"
      bodyContent={
        <Content>
          <p>Comma-separated patterns; a tag of the external repository is mirrored when it matches any of them.</p>
          <dl>
            {SYNTAX.map(([pattern, meaning]) => (
              <div key={pattern}>
                <dt>
                  <code>{pattern}</code>
                </dt>
                <dd>{meaning}</dd>
              </div>
            ))}
          </dl>
          <p>Examples:</p>
          <ul>
            {EXAMPLES.map(([patterns, mirrors]) => (
              <li key={patterns}>
                <code>{patterns}</code>: {mirrors}
              </li>
            ))}
          </ul>
        </Content>
      }
    >
      <FormGroupLabelHelp ref={trigger} aria-label="Tag pattern syntax" />
    </Popover>
  );
}
