import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat.
 * Null when the process is gone or this is not Linux. Threads included (libuv's fs pool too).
 */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return ((utime + stime) * 1000) / USER_HZ;
  } catch {
    return null;
  }
}

/**
 * Whole-machine CPU counters from /proc/stat, in ticks: busy (running anything here: not idle,
 * iowait or stolen), iowait, steal (time the hypervisor ran something else while this VM's
 * cores had work) and total.
 */
export interface MachineCpu {
  busy: number;
  iowait: number;
  steal: number;
  total: number;
}

export function machineCpu(): MachineCpu | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    // user nice system idle iowait irq softirq steal
    const total = v.reduce((a, b) => a + b, 0);
    const idle = v[3] ?? 0;
    const iowait = v[4] ?? 0;
    const steal = v[7] ?? 0;
    return { busy: total - idle - iowait - steal, iowait, steal, total };
  } catch {
    return null;
  }
}

/**
 * Shares of the machine (0-1, all cores) busy, in iowait and stolen between two readings, and
 * the busy CPU time itself in milliseconds (summed over the cores).
 */
export function machineBusyBetween(
  a: MachineCpu | null,
  b: MachineCpu | null,
): { busy: number; iowait: number; steal: number; busyMs: number } | null {
  if (!a || !b || b.total <= a.total) return null;
  const total = b.total - a.total;
  return {
    busy: (b.busy - a.busy) / total,
    iowait: (b.iowait - a.iowait) / total,
    steal: (b.steal - a.steal) / total,
    busyMs: ((b.busy - a.busy) * 1000) / USER_HZ,
  };
}
