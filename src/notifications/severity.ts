/**
 * Vulnerability severities and their indexes (Quay's PRIORITY_LEVELS): a lower index is more
 * severe. A vulnerability_found notification's `level` is the least severe index it reports.
 */
export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;

export type Severity = (typeof SEVERITIES)[number];

/** The index of a severity name, or undefined for a name Quay does not know. */
export function severityIndex(name: unknown): number | undefined {
  const index = SEVERITIES.indexOf(name as Severity);
  return index === -1 ? undefined : index;
}

/** The severity of an index; Unknown for anything out of range, as in Quay. */
export function severityForIndex(index: number): Severity {
  return SEVERITIES[index] ?? 'Unknown';
}

/**
 * Reads a `level` setting: an index 0-5 (as a number or a string of digits, as Quay's UI sends
 * it) or a severity name. Undefined when it is neither.
 */
export function parseSeverityLevel(level: unknown): number | undefined {
  if (typeof level === 'number' && Number.isInteger(level) && level >= 0 && level < SEVERITIES.length) return level;
  if (typeof level === 'string') {
    if (/^[0-9]$/.test(level)) return parseSeverityLevel(Number(level));
    return severityIndex(level);
  }
  return undefined;
}
