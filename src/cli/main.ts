import { Command } from 'commander';
import { registerConfigCommands } from './config-validate.js';
import { registerMigrateCommand } from './migrate.js';
import { registerServeCommand } from './serve.js';
import { registerUserCommands } from './user.js';
import { registerWorkerCommand } from './worker.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('quayside')
    .description('A Quay-compatible container registry')
    .showHelpAfterError()
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerMigrateCommand(program);
  registerConfigCommands(program);
  registerUserCommands(program);
  await program.parseAsync(argv);
}
