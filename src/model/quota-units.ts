import { Invalid } from '../errors.js';

/**
 * Byte counts as Quay writes and reads them: the quota view's `limit` label ("10.0 MiB", from
 * the largest binary unit the value fills) and the human-readable `limit` accepted on input.
 */

const BINARY_UNITS = ['Byte', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** Quay's label for a quota size: one decimal, the largest binary unit with a value of at least 1. */
export function quotaSizeLabel(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${BINARY_UNITS[unit]}`;
}

/** A short size for messages: "10 MiB", "10.5 MiB", "512 B". */
export function shortSize(bytes: number): string {
  const label = quotaSizeLabel(bytes).replace(/\.0 /, ' ');
  return label.endsWith(' Byte') ? label.replace(' Byte', ' B') : label;
}

/** The input pattern of Quay's `limit` field. */
export const QUOTA_LIMIT_PATTERN =
  '^(\\d+\\s?(B|KiB|MiB|GiB|TiB|PiB|EiB|ZiB|YiB|Ki|Mi|Gi|Ti|Pi|Ei|Zi|Yi|KB|MB|GB|TB|PB|EB|ZB|YB|K|M|G|T|P|E|Z|Y)?)$';

const PREFIX_POWER: Record<string, number> = { K: 1, M: 2, G: 3, T: 4, P: 5, E: 6, Z: 7, Y: 8 };

/**
 * Bytes of a limit like "10GiB", "10 Gi" (binary), "10GB", "10 G" (decimal, as Quay's parser reads
 * units without the i) or "1024" (bytes). Invalid for anything else or a value too large.
 */
export function parseQuotaLimit(text: string, invalidMessage: string): number {
  const match = /^(\d+)\s?(?:([KMGTPEZY])(i)?B?|B)?$/.exec(text);
  if (!match) throw new Invalid('input', invalidMessage);
  const [, digits, prefix, binary] = match;
  const power = prefix ? (PREFIX_POWER[prefix] ?? 0) : 0;
  const bytes = Number(digits) * (binary ? 1024 : 1000) ** power;
  if (!Number.isSafeInteger(bytes)) throw new Invalid('input', invalidMessage);
  return bytes;
}
