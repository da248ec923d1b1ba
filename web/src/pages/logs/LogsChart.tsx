import { Content } from '@patternfly/react-core';
import type { AggregatedCount, DayRange } from './logsApi';
import { kindTitle } from './logKinds';
import './logs.css';

/**
 * Entries per day as stacked bars, one colour per kind, with a legend. Plain CSS boxes: the bars
 * are flex items sized in percent, so the chart shrinks with its container down to phone widths.
 */

const PALETTE = ['#0066cc', '#4cb140', '#f0ab00', '#009596', '#5752d1', '#ec7a08', '#c9190b', '#8bc1f7', '#7cc674', '#a18fff', '#6a6e73'];
const DAY_MS = 24 * 60 * 60 * 1000;

interface DayBar {
  day: string;
  total: number;
  counts: Map<string, number>;
}

/** Every UTC day of the range, `YYYY-MM-DD`. */
function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  const end = Date.parse(`${range.to}T00:00:00Z`);
  for (let at = Date.parse(`${range.from}T00:00:00Z`); at <= end; at += DAY_MS) days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

function dayBars(range: DayRange, counts: AggregatedCount[]): DayBar[] {
  const bars = new Map(daysOf(range).map((day) => [day, { day, total: 0, counts: new Map<string, number>() }]));
  for (const count of counts) {
    const bar = bars.get(new Date(count.datetime).toISOString().slice(0, 10));
    if (!bar) continue;
    bar.total += count.count;
    bar.counts.set(count.kind, (bar.counts.get(count.kind) ?? 0) + count.count);
  }
  return [...bars.values()];
}

/** Kinds by how often they occur, most frequent first, each with its colour. */
function kindColors(counts: AggregatedCount[]): Array<{ kind: string; total: number; color: string }> {
  const totals = new Map<string, number>();
  for (const count of counts) totals.set(count.kind, (totals.get(count.kind) ?? 0) + count.count);
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([kind, total], index) => ({ kind, total, color: PALETTE[index % PALETTE.length] ?? '#6a6e73' }));
}

function shortDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export function LogsChart({ range, counts }: { range: DayRange; counts: AggregatedCount[] }) {
  const bars = dayBars(range, counts);
  const kinds = kindColors(counts);
  const colorOf = new Map(kinds.map((k) => [k.kind, k.color]));
  const highest = Math.max(1, ...bars.map((bar) => bar.total));
  const first = bars[0]?.day;
  const last = bars[bars.length - 1]?.day;
  return (
    <figure className="qs-logs-chart" data-testid="logs-chart">
      <div className="qs-logs-chart__plot" role="img" aria-label={`Log entries per day from ${range.from} to ${range.to}`}>
        {bars.map((bar) => (
          <div key={bar.day} className="qs-logs-chart__day" title={`${bar.day}: ${bar.total} entries`}>
            {bar.total > 0 && (
              <div
                className="qs-logs-chart__bar"
                data-testid="logs-chart-bar"
                data-day={bar.day}
                data-count={bar.total}
                style={{ height: `${(bar.total / highest) * 100}%` }}
              >
                {kinds
                  .filter((k) => bar.counts.has(k.kind))
                  .map((k) => (
                    <div
                      key={k.kind}
                      className="qs-logs-chart__segment"
                      style={{ flexGrow: bar.counts.get(k.kind), background: colorOf.get(k.kind) }}
                      title={`${bar.day}: ${kindTitle(k.kind)} ${bar.counts.get(k.kind)}`}
                    />
                  ))}
              </div>
            )}
          </div>
        ))}
      </div>
      <div className="qs-logs-chart__axis">
        <span>{first && shortDay(first)}</span>
        <span>
          {highest > 1 ? `max ${highest} per day` : ''} (UTC days)
        </span>
        <span>{last && shortDay(last)}</span>
      </div>
      {kinds.length === 0 ? (
        <Content component="small">No entries in this range.</Content>
      ) : (
        <ul className="qs-logs-chart__legend" aria-label="Legend">
          {kinds.map((k) => (
            <li key={k.kind} data-testid="logs-chart-legend-item">
              <span className="qs-logs-chart__swatch" style={{ background: k.color }} />
              {kindTitle(k.kind)} ({k.total})
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
