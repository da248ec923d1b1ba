import type { AppContext } from '../context.js';
import { authCheck } from './auth-check.js';
import type { HealthCheck } from './check.js';
import { databaseCheck } from './database-check.js';
import { diskSpaceCheck } from './disk-space-check.js';
import { serviceKeyCheck } from './service-key-check.js';
import { storageCheck } from './storage-check.js';

/**
 * Which checks each endpoint runs, as in Quay:
 * - instance (/health, /health/instance): this process and what it alone depends on;
 * - endtoend (/status, /health/endtoend): the shared services every replica depends on;
 * - warning (/health/warning): early signs of trouble that do not stop the service yet.
 */
export type HealthSuite = 'instance' | 'endtoend' | 'warning';

const DATABASE_TIMEOUT_MS = 3000;
const AUTH_TIMEOUT_MS = 3000;
const DISK_TIMEOUT_MS = 2000;
const STORAGE_TIMEOUT_MS = 5000;

export interface PlannedChecks {
  checks: HealthCheck[];
  /** Why a check the suite would run was left out. */
  notes: string[];
}

export function plannedChecks(ctx: AppContext, suite: HealthSuite): PlannedChecks {
  const { config } = ctx;
  switch (suite) {
    case 'instance':
      return {
        checks: [
          databaseCheck(ctx.db, DATABASE_TIMEOUT_MS),
          diskSpaceCheck('disk_space', config.dataDir, config.DISKSPACE_HEALTH_THRESHOLD, DISK_TIMEOUT_MS),
          serviceKeyCheck(ctx.db, ctx.tokens.keyId, DATABASE_TIMEOUT_MS),
          authCheck(ctx.directory, AUTH_TIMEOUT_MS),
        ],
        notes: [],
      };
    case 'endtoend': {
      const checks = [databaseCheck(ctx.db, DATABASE_TIMEOUT_MS), authCheck(ctx.directory, AUTH_TIMEOUT_MS)];
      // A read-only registry writes nothing, so a probe blob must not be written either.
      if (config.REGISTRY_STATE === 'readonly') {
        return { checks, notes: ['storage not checked: REGISTRY_STATE is readonly'] };
      }
      return { checks: [...checks, storageCheck(ctx.storage, STORAGE_TIMEOUT_MS)], notes: [] };
    }
    case 'warning':
      return {
        checks: [
          diskSpaceCheck(
            'disk_space_warning',
            config.dataDir,
            config.DISKSPACE_HEALTH_WARNING_THRESHOLD,
            DISK_TIMEOUT_MS,
          ),
        ],
        notes: [],
      };
  }
}
