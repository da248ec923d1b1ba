import { DatePicker, Split, SplitItem } from '@patternfly/react-core';

/** Two date pickers, From and To, holding `YYYY-MM-DD` texts (empty when `optional` and cleared). */

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export function isDay(text: string): boolean {
  if (!DAY_PATTERN.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** Whether the range has usable days in order (empty ends are open when allowed). */
export function rangeProblem(from: string, to: string, optional = false): string | undefined {
  for (const [label, text] of [
    ['From', from],
    ['To', to],
  ] as const) {
    if (text === '' && optional) continue;
    if (!isDay(text)) return `${label} must be a date written as YYYY-MM-DD.`;
  }
  if (from !== '' && to !== '' && to < from) return 'To must not be before From.';
  return undefined;
}

export function DayRangePickers(props: {
  from: string;
  to: string;
  onFromChange(value: string): void;
  onToChange(value: string): void;
}) {
  return (
    <Split hasGutter isWrappable>
      <SplitItem>
        <DatePicker
          aria-label="From date"
          buttonAriaLabel="Choose the From date"
          placeholder="From (YYYY-MM-DD)"
          value={props.from}
          onChange={(_e, value) => props.onFromChange(value)}
        />
      </SplitItem>
      <SplitItem>
        <DatePicker
          aria-label="To date"
          buttonAriaLabel="Choose the To date"
          placeholder="To (YYYY-MM-DD)"
          value={props.to}
          onChange={(_e, value) => props.onToChange(value)}
        />
      </SplitItem>
    </Split>
  );
}
