import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { LeaseNotHeldError } from '../../../src/common/http/leadership-errors';
import type { ClusterConfig } from '../../../src/config/cluster-config';
import { AUTO_PROMOTE_STABLE_MS } from '../../../src/election/auto-promotion';
import { AutoPromoter } from '../../../src/election/auto-promoter';
import type { Status } from '../../../src/election/consensus/core-output';
import type { MembershipChange } from '../../../src/election/consensus/membership';
import type { ReplicatedLog } from '../../../src/election/replicated-log';
import { FakeClock } from '../../support/fake-clock';

const LEADER = '127.0.0.1:1';
const LEARNER = '127.0.0.1:4';
const TICK_MS = 50;

/** A leader holding its lease, with LEARNER caught up and heard from at every tick. */
function leaderWithLearner(clock: FakeClock): Status {
  const peer = (id: string) => ({
    id,
    cpu: null,
    background: null,
    lastContact: clock.monotonicMs(),
    unreachableSince: null,
    matchIndex: 5,
  });
  return {
    role: 'leader',
    leaseValid: true,
    lastIndex: 5,
    peers: [peer('127.0.0.1:2'), peer('127.0.0.1:3'), peer(LEARNER)],
    membership: {
      index: 2,
      voters: [LEADER, '127.0.0.1:2', '127.0.0.1:3'],
      learners: [LEARNER],
      apiUrls: {},
    },
  } as unknown as Status;
}

/**
 * An AutoPromoter over a log whose promotion settles as `settle` says, run until it proposes;
 * returns the lines it logged by level once the proposal has settled.
 */
async function promoteWith(settle: () => Promise<void>) {
  const clock = new FakeClock();
  const proposed: MembershipChange[] = [];
  const log = {
    status: () => leaderWithLearner(clock),
    changeMembership: (change: MembershipChange) => {
      proposed.push(change);
      return settle();
    },
  } as unknown as ReplicatedLog;
  const config = {
    autoPromote: true,
    heartbeatIntervalMs: TICK_MS,
    electionTimeoutMinMs: 300,
  } as ClusterConfig;
  const lines: Record<'log' | 'warn' | 'debug', string[]> = { log: [], warn: [], debug: [] };
  jest
    .spyOn(Logger.prototype, 'log')
    .mockImplementation((m: unknown) => void lines.log.push(String(m)));
  jest
    .spyOn(Logger.prototype, 'warn')
    .mockImplementation((m: unknown) => void lines.warn.push(String(m)));
  jest
    .spyOn(Logger.prototype, 'debug')
    .mockImplementation((m: unknown) => void lines.debug.push(String(m)));
  const scheduler = new SchedulerRegistry();
  const promoter = new AutoPromoter(config, clock, log, scheduler);
  promoter.onApplicationBootstrap();
  try {
    for (
      let t = 0;
      t <= AUTO_PROMOTE_STABLE_MS + 2 * TICK_MS && proposed.length === 0;
      t += TICK_MS
    ) {
      clock.advance(TICK_MS);
      jest.advanceTimersByTime(TICK_MS);
    }
    await jest.runOnlyPendingTimersAsync();
  } finally {
    promoter.onModuleDestroy();
  }
  return { proposed, lines };
}

describe('AutoPromoter: what the leader says about a promotion', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('says it is promoting before the outcome, and that it promoted once committed', async () => {
    const { proposed, lines } = await promoteWith(() => Promise.resolve());
    expect(proposed).toEqual([{ kind: 'promote', node: LEARNER }]);
    expect(lines.log).toEqual([
      `auto_promote: promoting ${LEARNER} (caught up and reachable for 3 s)`,
      `auto_promote: promoted ${LEARNER}`,
    ]);
    expect(lines.warn).toEqual([]);
  });

  it('warns, not in a debug line, when it lost the lead before the change was known to commit', async () => {
    // The learner may be a voter already (the entry was appended) and a successor may commit it:
    // "not promoted yet" would be wrong, and the operator would see nothing at info.
    const { lines } = await promoteWith(() => Promise.reject(new LeaseNotHeldError()));
    expect(lines.log).toEqual([
      `auto_promote: promoting ${LEARNER} (caught up and reachable for 3 s)`,
    ]);
    expect(lines.warn).toEqual([
      `auto_promote: lost the lead before promoting ${LEARNER} was known to commit; the next leader commits it or promotes it afresh (see rollcall members list)`,
    ]);
  });

  it('keeps a refusal (the learner fell behind, say) to a debug line and tries again later', async () => {
    const { lines } = await promoteWith(() => Promise.reject(new Error('3 entries behind')));
    expect(lines.warn).toEqual([]);
    expect(lines.debug).toEqual([`auto_promote: ${LEARNER} not promoted yet: 3 entries behind`]);
  });
});
