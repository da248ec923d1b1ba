import { Filter } from 'ldapts';

/** Search filters, built from configured filters (trusted, from config.yaml) and escaped user input. */

/** Wraps a configured filter in parentheses when the operator left them out. */
export function parenthesized(filter: string): string {
  const trimmed = filter.trim();
  return trimmed.startsWith('(') && trimmed.endsWith(')') ? trimmed : `(${trimmed})`;
}

/** The conjunction of the given filters (undefined ones are skipped). */
export function allOf(...filters: (string | undefined)[]): string {
  const present = filters.filter((f): f is string => f !== undefined && f.trim() !== '').map(parenthesized);
  if (present.length === 0) return '(objectClass=*)';
  return present.length === 1 ? present[0]! : `(&${present.join('')})`;
}

/** `(attr=value)` with the value escaped. */
export function equals(attribute: string, value: string): string {
  return `(${attribute}=${Filter.escape(value)})`;
}

/** A sign-in name matches the uid or the e-mail attribute. */
export function loginFilter(uidAttr: string, emailAttr: string, login: string): string {
  return `(|${equals(uidAttr, login)}${equals(emailAttr, login)})`;
}
