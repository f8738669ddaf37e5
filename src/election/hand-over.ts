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
 * The leader's handover (TimeoutNow) to `to` or the best follower, then a wait of up to `limitMs`
 * for another node to lead: what shutdown and an operator's transfer both do.
 */
export async function handOver(
  log: ReplicatedLog,
  clock: Clock,
  how: { reason: TransferReason; limitMs: number; to?: string },
): Promise<HandOverOutcome> {
  const started = clock.monotonicMs();
  const target = log.transferLeadership(how.reason, how.to);
  if (!target) return { target, moved: false, tookMs: 0 };
  const deadline = started + how.limitMs;
  let moved = someoneElseLeads(log);
  while (!moved && clock.monotonicMs() <= deadline) {
    await sleep(POLL_MS);
    moved = someoneElseLeads(log);
  }
  return { target, moved, tookMs: Math.round(clock.monotonicMs() - started) };
}

function someoneElseLeads(log: ReplicatedLog): boolean {
  const s = log.status();
  return s !== null && s.role !== 'leader' && s.leader !== null;
}
