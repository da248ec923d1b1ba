import type { Command } from 'commander';
import { openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { action, type InstanceOptions, loadInstanceConfig, withInstanceOptions } from './common.js';

export function registerMigrateCommand(program: Command): void {
  withInstanceOptions(program.command('migrate').description('apply pending database migrations and exit')).action(
    action(async (options: InstanceOptions) => {
      const config = loadInstanceConfig(options);
      const handle = openDatabase(config.database);
      try {
        const report = await migrateToLatest(handle.db as never, handle.dialect);
        console.log(
          report.applied.length > 0
            ? `applied ${report.applied.length} migration(s): ${report.applied.join(', ')}`
            : 'database is up to date',
        );
      } finally {
        await handle.close();
      }
    }),
  );
}
