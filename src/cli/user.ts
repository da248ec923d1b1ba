import type { Command } from 'commander';
import { openMigratedDatabase } from '../db/connect.js';
import { createUser } from '../model/users.js';
import { action, type InstanceOptions, loadInstanceConfig, withInstanceOptions } from './common.js';

interface UserCreateOptions extends InstanceOptions {
  password: string;
  email?: string;
  superuser?: boolean;
}

async function createUserCommand(name: string, options: UserCreateOptions): Promise<void> {
  const config = loadInstanceConfig(options);
  const database = await openMigratedDatabase(config.database);
  try {
    await createUser(database.db, config, {
      name,
      password: options.password,
      email: options.email,
      superuser: options.superuser === true,
    });
  } finally {
    await database.close();
  }
  console.log(`created user ${name}`);
}

/** `quayside user create NAME --password P [--email E] [--superuser]`. */
export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage user accounts');
  withInstanceOptions(
    user
      .command('create')
      .description('create a local user account')
      .argument('<name>', 'user name (2-255 lower-case letters, digits and . _ - separators)')
      .requiredOption('--password <password>', 'the password, at least 8 characters')
      .option('--email <email>', 'e-mail address')
      .option('--superuser', 'make the user a superuser'),
  ).action(action(createUserCommand));
}
