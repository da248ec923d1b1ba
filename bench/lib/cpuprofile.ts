import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Reads the `.cpuprofile` files Node writes with `--cpu-prof` and ranks functions by self time
 * (the time the sampled stack had the function on top), summed over every file in a directory
 * (one per process: the cluster primary and each worker).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface HotFunction {
  name: string;
  location: string;
  selfMs: number;
  percent: number;
}

function shortUrl(url: string): string {
  if (!url) return '';
  const marker = url.indexOf('/node_modules/');
  if (marker >= 0) return url.slice(marker + 1);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

export async function topSelfTime(dir: string, limit = 25): Promise<{ files: number; totalMs: number; top: HotFunction[] }> {
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile'));
  } catch {
    return { files: 0, totalMs: 0, top: [] };
  }
  const self = new Map<string, { name: string; location: string; micros: number }>();
  let total = 0;
  for (const name of names) {
    const profile = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as CpuProfile;
    const byId = new Map<number, ProfileNode>();
    for (const node of profile.nodes) byId.set(node.id, node);
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      const node = byId.get(samples[i]!);
      const micros = deltas[i + 1] ?? deltas[i] ?? 0;
      if (!node || micros <= 0) continue;
      const frame = node.callFrame;
      const fn = frame.functionName || '(anonymous)';
      if (fn === '(idle)' || fn === '(program)') continue;
      const location = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
      const key = `${fn}@${location}`;
      const entry = self.get(key) ?? { name: fn, location, micros: 0 };
      entry.micros += micros;
      self.set(key, entry);
      total += micros;
    }
  }
  const top = [...self.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, limit)
    .map((e) => ({ name: e.name, location: e.location, selfMs: e.micros / 1000, percent: total > 0 ? (100 * e.micros) / total : 0 }));
  return { files: names.length, totalMs: total / 1000, top };
}
