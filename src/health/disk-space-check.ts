import { statfs } from 'node:fs/promises';
import type { HealthCheck } from './check.js';

interface FreeSpace {
  path: string;
  percent: number;
}

/** Free space of the file system holding `dir`; the working directory's when `dir` does not exist. */
async function freeSpace(dir: string): Promise<FreeSpace> {
  let path = dir;
  let stats: Awaited<ReturnType<typeof statfs>>;
  try {
    stats = await statfs(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    path = process.cwd();
    stats = await statfs(path);
  }
  // Some pseudo file systems report no blocks at all: nothing there can fill up.
  const percent = stats.blocks > 0 ? (stats.bavail / stats.blocks) * 100 : 100;
  return { path, percent };
}

/**
 * `disk_space` / `disk_space_warning`: the data directory's file system has at least
 * `thresholdPercent` of its space free for this process (blocks reserved for root do not count).
 */
export function diskSpaceCheck(name: string, dataDir: string, thresholdPercent: number, timeoutMs: number): HealthCheck {
  return {
    name,
    timeoutMs,
    async run() {
      const { path, percent } = await freeSpace(dataDir);
      if (percent < thresholdPercent) {
        throw new Error(`${percent.toFixed(2)}% free on the file system holding ${path}, below the ${thresholdPercent}% threshold`);
      }
    },
  };
}
