import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../common/clock';

/** How often a handover looks whether the successor has taken over. */
const POLL_MS = 5;

/** Resolves true once `done()` holds, or false when `limitMs` of `clock` time pass first. */
export async function waitUntil(
  clock: Clock,
  done: () => boolean,
  limitMs: number,
): Promise<boolean> {
  const deadline = clock.monotonicMs() + limitMs;
  while (!done()) {
    if (clock.monotonicMs() > deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}
