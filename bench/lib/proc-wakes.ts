import { readFileSync } from 'node:fs';

/**
 * How many times the main thread of process `pid` has gone to sleep and been woken so far (its
 * voluntary context switches, /proc/<pid>/task/<pid>/status). An idle Node process sleeps in the
 * event loop's poll, so each is one wake-up: a timer due, or bytes to read. Null when the process
 * is gone or this is not Linux.
 */
export function mainThreadWakeups(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
    const match = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
