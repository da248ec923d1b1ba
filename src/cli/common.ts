import type { Command } from 'commander';
import { ConfigError, loadConfig, type QuaysideConfig } from '../config/load.js';
import { DomainError } from '../errors.js';

export interface InstanceOptions {
  configDir?: string;
  dataDir?: string;
}

/** Adds --config-dir and --data-dir, which every subcommand takes to pick the instance it acts on. */
export function withInstanceOptions(command: Command): Command {
  return command
    .option('--config-dir <dir>', 'directory holding config.yaml (and ssl.cert, ssl.key, extra_ca_certs/)')
    .option('--data-dir <dir>', 'data directory of the embedded profile', undefined);
}

export function loadInstanceConfig(options: InstanceOptions): QuaysideConfig {
  return loadConfig({ configDir: options.configDir, dataDir: options.dataDir });
}

/** Prints a one-line (or one-per-problem) error without a stack trace and exits non-zero. */
export function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error('quayside: invalid configuration:');
    for (const problem of err.problems) console.error(`  ${problem.key}: ${problem.message}`);
  } else if (err instanceof DomainError || err instanceof Error) {
    console.error(`quayside: ${err.message}`);
  } else {
    console.error(`quayside: ${String(err)}`);
  }
  process.exit(1);
}

/** Wraps a subcommand action so any error ends the process cleanly with a message. */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (err) {
      fail(err);
    }
  };
}
