import { InvalidArgumentError } from 'commander';
import { unknownWorkersProblem, WORKER_NAMES } from '../workers/index.js';

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
  const problem = unknownWorkersProblem(names);
  if (problem) throw new InvalidArgumentError(problem);
  return [...new Set(names)];
}

/** `serve --workers`: "all" (undefined: every worker), "none" (an empty list) or names. */
export function parseServeWorkers(text: string): string[] | undefined {
  if (text === 'all') return undefined;
  if (text === 'none') return [];
  return parseWorkerNames(text);
}
