import type { Command } from 'commander';
import { checkLdap } from '../config/ldap-check.js';
import { ConfigError } from '../config/load.js';
import { openDatabase } from '../db/connect.js';
import { createStorage, storageSelfCheck } from '../storage/index.js';
import { action, loadInstanceConfig, withInstanceOptions } from './common.js';

interface ValidateOptions {
  configDir?: string;
  dataDir?: string;
  offline?: boolean;
}

/** Connects to the database and writes a probe to every storage location (Quay's "online" mode). */
async function checkServices(options: ValidateOptions): Promise<string[]> {
  const config = loadInstanceConfig(options);
  const problems: string[] = [];
  const handle = openDatabase(config.database);
  try {
    await handle.db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
  } catch (err) {
    problems.push(`DB_URI: cannot connect: ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
  const storage = createStorage(config.storage);
  try {
    for (const store of storage.ordered) {
      try {
        await storageSelfCheck(store);
      } catch (err) {
        problems.push(`DISTRIBUTED_STORAGE_CONFIG: ${(err as Error).message}`);
      }
    }
  } finally {
    await storage.close();
  }
  for (const problem of await checkLdap(config)) problems.push(`${problem.key}: ${problem.message}`);
  return problems;
}

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('configuration tools');
  withInstanceOptions(config.command('validate').description('validate config.yaml and, unless --offline, reach its services'))
    .option('--offline', 'check the file only; do not connect to the database or storage')
    .action(
      action(async (options: ValidateOptions) => {
        // Building the storage drivers checks their parameters without contacting anything.
        await createStorage(loadInstanceConfig(options).storage).close();
        const problems = options.offline ? [] : await checkServices(options);
        if (problems.length > 0) {
          throw new ConfigError(problems.map((p) => ({ key: p.split(':')[0]!, message: p.slice(p.indexOf(':') + 1).trim() })));
        }
        console.log('configuration is valid');
      }),
    );
}
