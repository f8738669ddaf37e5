import type { HardState, Message, RoleChange } from '../../../src/election/consensus';
import { A, B, C, msg, readyOf } from './sim/core-fixture';
import { SafetyRecorder } from './sim/safety-recorder';
import { SimCluster } from './sim/sim-cluster';

/**
 * The simulator's safety checks are only worth their green runs if they fire on a broken
 * history. Each case feeds the recorder a real violation, and a legal history must pass.
 */
describe('the simulator safety recorder', () => {
  const disk = (term: number, votedFor: string | null): HardState => ({ term, votedFor });
  const grant = (from: string, to: string, term: number): Message =>
    msg('RequestVoteResponse', { from, to, term, granted: true, leaseWaitMs: 0 });
  const becameLeader = (leader: string, term: number): RoleChange => ({
    role: 'leader',
    term,
    leader,
    reason: 'won election',
  });

  it('reports a vote sent before it was persisted', () => {
    const r = new SafetyRecorder();
    r.checkReady(A, disk(3, null), readyOf({ messages: [grant(A, B, 3)] }), 10);
    expect(r.violations).toEqual([
      `t=10.000: ${A} sent RequestVoteResponse for ${B} in term 3 before persisting it (durable: term 3, votedFor null)`,
    ]);
  });

  it('reports a second vote in one term', () => {
    const r = new SafetyRecorder();
    r.checkReady(A, disk(3, null), readyOf({ hardState: { ...disk(3, B), commit: 0 } }), 1);
    r.checkReady(A, disk(3, B), readyOf({ messages: [grant(A, B, 3)] }), 2);
    // A node that lost its vote (say, a disk that did not keep it) votes again.
    r.checkReady(A, disk(3, null), readyOf({ hardState: { ...disk(3, C), commit: 0 } }), 3);
    r.checkReady(A, disk(3, C), readyOf({ messages: [grant(A, C, 3)] }), 4);
    expect(r.violations).toEqual([`t=4.000: ${A} voted twice in term 3: ${B} and ${C}`]);
  });

  it('reports a vote changed or a term gone back in what is persisted', () => {
    const r = new SafetyRecorder();
    r.checkReady(A, disk(3, B), readyOf({ hardState: { ...disk(3, C), commit: 0 } }), 1);
    r.checkReady(A, disk(3, C), readyOf({ hardState: { ...disk(2, null), commit: 0 } }), 2);
    expect(r.violations).toEqual([
      `t=1.000: ${A} changed its vote in term 3`,
      `t=2.000: ${A} term went back 3 -> 2`,
    ]);
  });

  it('reports two leaders in one term', () => {
    const r = new SafetyRecorder();
    r.checkReady(A, disk(4, A), readyOf({ roleChanges: [becameLeader(A, 4)] }), 1);
    r.checkReady(B, disk(4, B), readyOf({ roleChanges: [becameLeader(B, 4)] }), 2);
    expect(r.violations).toEqual([`t=2.000: two leaders in term 4: ${A} and ${B}`]);
  });

  it('reports two valid leases at one instant, and a lease that changed between events', () => {
    const r = new SafetyRecorder();
    r.updateLease(A, { valid: true, until: 100 }, 0);
    r.updateLease(B, { valid: true, until: 150 }, 50);
    r.checkLeaseBetweenEvents(C, true, 60);
    expect(r.violations).toEqual([
      `t=50.000: ${B} and ${A} both hold a valid lease (other until 100)`,
      `t=60.000: ${C} lease changed between events (valid=true)`,
    ]);
  });

  it('reports two different entries applied at one index', () => {
    const r = new SafetyRecorder();
    r.checkApply(A, 1, '1/"x"', 5);
    r.checkApply(B, 1, '2/"y"', 6);
    expect(r.violations).toEqual([`t=6.000: ${B} applied 2/"y" at 1, another node applied 1/"x"`]);
  });

  it('finds nothing wrong in a legal history: a vote persisted, one leader, leases in turn', () => {
    const r = new SafetyRecorder();
    r.checkReady(A, disk(2, null), readyOf({ hardState: { ...disk(3, B), commit: 0 } }), 1);
    r.checkReady(A, disk(3, B), readyOf({ messages: [grant(A, B, 3)] }), 2);
    r.checkReady(B, disk(3, B), readyOf({ roleChanges: [becameLeader(B, 3)] }), 3);
    r.updateLease(B, { valid: true, until: 100 }, 3);
    r.updateLease(B, null, 100);
    r.updateLease(C, { valid: true, until: 200 }, 100);
    r.checkApply(A, 1, '3/"x"', 4);
    r.checkApply(B, 1, '3/"x"', 5);
    expect(r.violations).toEqual([]);
  });

  it('fires on a simulated node whose disk forgets its vote across a restart', () => {
    const cluster = new SimCluster({ size: 3, seed: 1 });
    const [a, b, c] = cluster.ids;
    cluster.isolate(c); // only the forged requests below reach it
    const ask = (from: string) =>
      cluster.deliver(
        msg('RequestVote', {
          from,
          to: c,
          term: 7,
          lastLogIndex: 0,
          lastLogTerm: 0,
          transfer: false,
          leaseRevokedAt: null,
        }),
      );
    ask(a);
    cluster.crash(c);
    cluster.node(c).disk.hardState = { term: 0, votedFor: null, commit: 0 };
    cluster.restart(c);
    ask(b);
    expect(cluster.safety.violations).toEqual([
      expect.stringContaining(`${c} voted twice in term 7: ${a} and ${b}`),
    ]);
  });
});
