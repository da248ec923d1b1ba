import { InvalidArgumentError } from 'commander';
import { WORKER_NAMES } from '../workers/index.js';

/**
 * Parses a comma-separated list of worker names (`worker --only`, `serve --workers`). An unknown
 * name is a usage error (exit 2) naming the known workers, so a typo fails at start instead of
 * silently running nothing.
 */
export function parseWorkerNames(text: string): string[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new InvalidArgumentError(`name at least one worker; known: ${WORKER_NAMES.join(', ')}`);
  const unknown = names.filter((name) => !WORKER_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown worker ${unknown.map((name) => `"${name}"`).join(', ')}; known: ${WORKER_NAMES.join(', ')}`,
    );
  }
  return [...new Set(names)];
}

/** `serve --workers`: "all" (undefined: every worker), "none" (an empty list) or names. */
export function parseServeWorkers(text: string): string[] | undefined {
  if (text === 'all') return undefined;
  if (text === 'none') return [];
  return parseWorkerNames(text);
}
