const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

/**
 * The one parser of Quay's duration strings ("0s", "30m", "1d", "2w", "1y"), for configuration
 * keys and `quay.expires-after` labels alike: milliseconds, or undefined when `text` is not one.
 */
export function parseDurationMs(text: string): number | undefined {
  const match = /^([0-9]{1,9})([smhdwy])$/.exec(text.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : undefined;
}
