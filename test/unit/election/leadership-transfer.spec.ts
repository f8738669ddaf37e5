import { APPEND_ENTRIES, type NodeId } from '../../../src/election/consensus';
import { SimCluster } from './sim/sim-cluster';
import { DEFAULT_TIMING } from './sim/timing';

const { leaderTermMs: TERM_MS, electionTimeoutMinMs: MIN } = DEFAULT_TIMING;

/** A calm cluster whose node `leaderIndex` won the cold start, then runs with `loads`. */
function ledBy(size: number, leaderIndex: number, loads: number[], seed = 7) {
  const cpu = Array.from({ length: size }, (_, i) => (i === leaderIndex ? 0 : 50));
  const cluster = new SimCluster({ size, seed, cpu });
  const leader = cluster.runUntilAgreedLeader();
  expect(leader).toBe(cluster.ids[leaderIndex]);
  loads.forEach((load, i) => cluster.setCpu(cluster.ids[i], load));
  const won = cluster.node(leader).roleChanges.find((c) => c.reason === 'won election')!;
  return { cluster, leader, wonAt: won.at, term: won.term };
}

function reasonsOf(cluster: SimCluster, id: NodeId): string[] {
  return cluster.node(id).roleChanges.map((c) => c.reason);
}

describe('leadership transfer for load', () => {
  it('hands over at a leaderTermMs boundary to the least loaded follower, without a lease gap', () => {
    const { cluster, leader, wonAt, term } = ledBy(3, 0, [80, 40, 20]);
    const [, , lightest] = cluster.ids;
    cluster.runUntil(wonAt + TERM_MS + MIN);

    const handOver = cluster.node(leader).roleChanges.find((c) => c.reason.startsWith('transfer'));
    expect(handOver).toMatchObject({ role: 'leader', reason: `transfer to ${lightest} for load` });
    expect(handOver!.at).toBe(wonAt + TERM_MS);
    expect(cluster.agreedLeader()).toBe(lightest);
    expect(cluster.status(lightest)!.term).toBe(term + 1);
    expect(cluster.node(lightest).roleChanges.map((c) => c.reason)).toContain(
      `timeout-now from ${leader}`,
    );
    expect(cluster.node(leader).roleChanges.at(-1)).toMatchObject({
      role: 'follower',
      leader: lightest,
    });

    // The old lease ends when the hand-over starts; the new one begins a few round trips later.
    const oldEnd = Math.max(...cluster.leaseSpans(leader).map((s) => s.until));
    const newStart = Math.min(...cluster.leaseSpans(lightest).map((s) => s.from));
    expect(oldEnd).toBe(handOver!.at);
    expect(newStart - oldEnd).toBeLessThan(100);
    expect(cluster.safety.violations).toEqual([]);
  });

  it.each([
    [[50, 40, 45], 'the difference equals the hysteresis'],
    [[50, 41, 60], 'the difference is below the hysteresis'],
    [[50, 60, 70], 'every follower is busier'],
  ])('keeps the leader when loads are %j (%s)', (loads) => {
    const { cluster, leader, term } = ledBy(3, 0, loads);
    cluster.runFor(3 * TERM_MS + MIN);
    expect(cluster.agreedLeader()).toBe(leader);
    expect(cluster.maxTerm()).toBe(term);
    expect(reasonsOf(cluster, leader).filter((r) => r.startsWith('transfer'))).toEqual([]);
  });

  it('compares background loads: the work of leading is no reason to move', () => {
    const { cluster, leader, term } = ledBy(3, 0, [50, 50, 50]);
    const [, second, third] = cluster.ids;
    // The leader's machine is the busiest, but only by its own process's work.
    cluster.setLoad(leader, { machine: 90, background: 30 });
    cluster.setLoad(second, { machine: 35, background: 33 });
    cluster.setLoad(third, { machine: 40, background: 38 });
    cluster.runFor(3 * TERM_MS + MIN);
    expect(cluster.agreedLeader()).toBe(leader);
    expect(cluster.maxTerm()).toBe(term);
  });

  it('moves to a follower whose background is lighter, even on a busier machine', () => {
    const { cluster, leader } = ledBy(3, 0, [50, 50, 50]);
    const [, second, third] = cluster.ids;
    cluster.setLoad(leader, { machine: 50, background: 45 });
    cluster.setLoad(second, { machine: 70, background: 20 });
    cluster.setLoad(third, { machine: 30, background: 28 });
    cluster.runFor(TERM_MS + MIN);
    expect(cluster.agreedLeader()).toBe(second);
    expect(reasonsOf(cluster, leader)).toContain(`transfer to ${second} for load`);
  });

  it('breaks a tie between the least loaded followers in favour of the lower address', () => {
    const { cluster } = ledBy(3, 2, [20, 20, 80]);
    cluster.runFor(TERM_MS + MIN);
    expect(cluster.agreedLeader()).toBe(cluster.ids[0]);
  });

  it('skips a lighter follower whose log is behind', () => {
    const { cluster, leader } = ledBy(3, 0, [80, 10, 30]);
    const [, behind, upToDate] = cluster.ids;
    // `behind` hears the leader but never gets an entry.
    cluster.rewrite = (m) =>
      m.to === behind && m.type === APPEND_ENTRIES && m.entries.length > 0
        ? { ...m, entries: [] }
        : m;
    for (let i = 0; i < 3; i++) expect(cluster.propose(leader, `r${i}`)).not.toBeNull();
    cluster.runFor(TERM_MS + MIN);
    expect(cluster.agreedLeader()).toBe(upToDate);
  });
});

describe('leadership transfer on demand', () => {
  it('hands over on shutdown regardless of hysteresis, revoking the lease at once', () => {
    const { cluster, leader, term } = ledBy(3, 0, [50, 45, 50]);
    const [, lighter] = cluster.ids;
    cluster.runFor(500);
    expect(cluster.transferLeadership(leader, 'load')).toBeNull();
    expect(cluster.status(leader)!.leaseValid).toBe(true);

    const startedAt = cluster.now;
    expect(cluster.transferLeadership(leader, 'shutdown')).toBe(lighter);
    expect(cluster.status(leader)).toMatchObject({ leaseValid: false, transferTarget: lighter });
    cluster.runUntilAgreedLeader();
    expect(cluster.agreedLeader()).toBe(lighter);
    expect(cluster.now - startedAt).toBeLessThan(MIN / 10);
    expect(cluster.status(lighter)!.term).toBe(term + 1);
    expect(reasonsOf(cluster, leader)).toContain(`transfer to ${lighter} for shutdown`);
  });

  it("hands over to the operator's choice, even the most loaded follower", () => {
    const { cluster, leader, term } = ledBy(3, 0, [10, 20, 90]);
    const [, , heaviest] = cluster.ids;
    cluster.runFor(500);
    expect(cluster.transferLeadership(leader, 'operator', heaviest)).toBe(heaviest);
    cluster.runUntilAgreedLeader();
    expect(cluster.agreedLeader()).toBe(heaviest);
    expect(cluster.status(heaviest)!.term).toBe(term + 1);
    expect(reasonsOf(cluster, leader)).toContain(`transfer to ${heaviest} for operator`);
    expect(cluster.safety.violations).toEqual([]);
  });

  it('refuses an operator transfer to a follower not heard from, or during another transfer', () => {
    const { cluster, leader } = ledBy(3, 0, [50, 50, 50]);
    const [, cut, other] = cluster.ids;
    cluster.runFor(500);
    cluster.isolate(cut);
    cluster.runFor(MIN + 100);
    expect(cluster.transferLeadership(leader, 'operator', cut)).toBeNull();
    expect(cluster.status(leader)).toMatchObject({ role: 'leader', leaseValid: true });
    expect(cluster.transferLeadership(leader, 'shutdown')).toBe(other);
    expect(cluster.transferLeadership(leader, 'operator', other)).toBeNull();
  });

  it('refuses when not leading', () => {
    const { cluster, leader } = ledBy(3, 0, [50, 50, 50]);
    const follower = cluster.ids.find((id) => id !== leader)!;
    expect(cluster.transferLeadership(follower, 'shutdown')).toBeNull();
  });

  it('gives up after electionTimeoutMin when the target never campaigns, and leads on', () => {
    const { cluster, leader, term } = ledBy(3, 0, [50, 45, 50]);
    const [, target] = cluster.ids;
    cluster.runFor(500);
    cluster.cutOneWay(leader, target); // the TimeoutNow is lost
    const startedAt = cluster.now;
    expect(cluster.transferLeadership(leader, 'shutdown')).toBe(target);
    cluster.runFor(50);
    cluster.heal();

    cluster.runUntil(startedAt + MIN - 1);
    expect(cluster.status(leader)).toMatchObject({ role: 'leader', leaseValid: false });
    cluster.runUntil(startedAt + MIN + 100);
    expect(reasonsOf(cluster, leader)).toContain(`transfer to ${target} timed out`);
    expect(cluster.status(leader)).toMatchObject({
      role: 'leader',
      leaseValid: true,
      transferTarget: null,
    });
    // Heartbeats never stopped, so nobody started an election meanwhile.
    cluster.runFor(5 * MIN);
    expect(cluster.agreedLeader()).toBe(leader);
    expect(cluster.maxTerm()).toBe(term);
    expect(cluster.safety.violations).toEqual([]);
  });
});
