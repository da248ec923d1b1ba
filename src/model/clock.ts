/** Milliseconds since the epoch; one function so tests and workers agree on time. */
export function nowMs(): number {
  return Date.now();
}
