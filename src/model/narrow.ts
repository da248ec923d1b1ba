/**
 * Narrowing of untyped values (parsed JSON, queue bodies, database columns) to what a reader
 * expects, without throwing: a value of the wrong shape reads as absent.
 */

/** A plain JSON object, or undefined (arrays and null are not). */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asSafeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/** A nullable bigint column (a string on PostgreSQL when not parsed) as a number or null. */
export function nullableNumber(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}
