import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../common/clock';
import type { TransferReason } from './consensus/reasons';
import type { ReplicatedLog } from './replicated-log';

/** How often a handover looks whether the successor has taken over. */
const POLL_MS = 5;

/** How a handover went: whom the leader asked (null: nobody could take over), and if it led. */
export interface HandOverOutcome {
  target: string | null;
  moved: boolean;
  tookMs: number;
}

/**
 * The leader's handover (TimeoutNow) to `to` or the best follower, then a wait for another node
 * to lead, both within `limitMs`: what shutdown, an operator's transfer and the removal of the
 * leader all do.
 */
export async function handOver(
  log: ReplicatedLog,
  clock: Clock,
  how: { reason: TransferReason; limitMs: number; to?: string },
): Promise<HandOverOutcome> {
  const started = clock.monotonicMs();
  const deadline = started + how.limitMs;
  const target = await findTarget(log, clock, how, deadline);
  if (!target) return { target, moved: false, tookMs: Math.round(clock.monotonicMs() - started) };
  let moved = someoneElseLeads(log);
  while (!moved && clock.monotonicMs() <= deadline) {
    await sleep(POLL_MS);
    moved = someoneElseLeads(log);
  }
  return { target, moved, tookMs: Math.round(clock.monotonicMs() - started) };
}

/**
 * The follower the leader hands over to. Only one holding the leader's whole log qualifies, and
 * while clients write, every follower lags by the entry in flight most of the time: the leader
 * looks again every POLL_MS, within the same limit, instead of refusing at the first look.
 * Bounded by tries as well as by the clock (a test's clock may stand still).
 */
async function findTarget(
  log: ReplicatedLog,
  clock: Clock,
  how: { reason: TransferReason; limitMs: number; to?: string },
  deadline: number,
): Promise<string | null> {
  let target = log.transferLeadership(how.reason, how.to);
  for (let tries = Math.ceil(how.limitMs / POLL_MS); !target && tries > 0; tries--) {
    if (clock.monotonicMs() >= deadline || log.status()?.role !== 'leader') break;
    await sleep(POLL_MS);
    target = log.transferLeadership(how.reason, how.to);
  }
  return target;
}

function someoneElseLeads(log: ReplicatedLog): boolean {
  const s = log.status();
  return s !== null && s.role !== 'leader' && s.leader !== null;
}
