import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * CPU time and memory of a server's whole process tree (the Quayside primary and its cluster
 * workers; Distribution's single process), read from /proc. CPU seconds are utime + stime summed
 * over the tree between start() and stop(). Peak RSS is measured two ways: the sum of every
 * process's VmHWM after resetting the high-water marks at start() (`echo 5 > clear_refs`, needs
 * to own the process or be root), and the highest sum of VmRSS seen by sampling every 100 ms.
 */

let ticksPerSecond = 0;

export function clockTicks(): number {
  if (ticksPerSecond > 0) return ticksPerSecond;
  try {
    ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The pid and all its descendants (bounded: at most 1000 processes). */
export function processTree(root: number): number[] {
  const seen = new Set<number>();
  const queue = [root];
  while (queue.length > 0 && seen.size < 1000) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    if (readText(`/proc/${pid}/stat`) === null) continue;
    seen.add(pid);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      tasks = [];
    }
    for (const tid of tasks) {
      const children = readText(`/proc/${pid}/task/${tid}/children`);
      if (!children) continue;
      for (const child of children.trim().split(/\s+/)) {
        const n = Number(child);
        if (Number.isInteger(n) && n > 0) queue.push(n);
      }
    }
  }
  return [...seen];
}

/** utime + stime of one process in seconds, or null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) may contain spaces: split after its closing parenthesis.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / clockTicks();
}

/** VmRSS and VmHWM of one process in bytes. */
export function memory(pid: number): { rss: number; hwm: number } | null {
  const status = readText(`/proc/${pid}/status`);
  if (status === null) return null;
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface TreeUsage {
  /** CPU seconds (user + system) used by the tree while monitored. */
  cpuSeconds: number;
  /** Highest sampled sum of VmRSS over the tree, bytes. */
  peakRssSampled: number;
  /** Sum of the processes' VmHWM at the end (after a reset at start), bytes; null if no reset. */
  peakRssHwm: number | null;
  /** The best peak figure: the HWM sum when available, else the sampled one. */
  peakRss: number;
  processes: number;
}

export class TreeMonitor {
  private readonly startCpu = new Map<number, number>();
  private peakSampled = 0;
  private timer: NodeJS.Timeout | null = null;
  private resetOk = true;

  constructor(private readonly root: number) {}

  start(intervalMs = 100): void {
    const pids = processTree(this.root);
    for (const pid of pids) {
      const cpu = cpuSeconds(pid);
      if (cpu !== null) this.startCpu.set(pid, cpu);
      if (!resetPeak(pid)) this.resetOk = false;
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    let sum = 0;
    for (const pid of processTree(this.root)) sum += memory(pid)?.rss ?? 0;
    if (sum > this.peakSampled) this.peakSampled = sum;
  }

  stop(): TreeUsage {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const pids = processTree(this.root);
    let cpu = 0;
    let hwm = 0;
    for (const pid of pids) {
      const now = cpuSeconds(pid);
      if (now !== null) cpu += now - (this.startCpu.get(pid) ?? 0);
      hwm += memory(pid)?.hwm ?? 0;
    }
    const peakRssHwm = this.resetOk ? hwm : null;
    return {
      cpuSeconds: cpu,
      peakRssSampled: this.peakSampled,
      peakRssHwm,
      peakRss: peakRssHwm ?? this.peakSampled,
      processes: pids.length,
    };
  }
}

/**
 * CPU seconds the whole machine spent busy (everything but idle and iowait, over all cores), from
 * the first line of /proc/stat. Compared with what the server, its database and the load
 * generator used, it shows whether something else was running during a measurement.
 */
export function machineBusySeconds(): number {
  const stat = readText('/proc/stat');
  const line = stat?.split('\n', 1)[0];
  if (!line?.startsWith('cpu ')) return 0;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / clockTicks();
}
