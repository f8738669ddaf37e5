import {
  APPEND_ENTRIES,
  APPEND_ENTRIES_RESPONSE,
  ElectionCore,
  type Message,
} from '../../../src/election/consensus';
import {
  A,
  B,
  C,
  coreOptions,
  heartbeat,
  makeCore,
  msg,
  readyOf,
  requestVote,
  tickUntil,
} from './sim/core-fixture';
import { DEFAULT_TIMING } from './sim/timing';

const { electionTimeoutMinMs: MIN, electionTimeoutMaxMs: MAX } = DEFAULT_TIMING;
const LEASE = MIN - DEFAULT_TIMING.leaseSafetyMarginMs;
/** A successful answer that matches nothing beyond the leader's no-op-free prefix. */
const ACK = { success: true, matchIndex: 0 };

function sentOfType<T extends Message['type']>(messages: Message[], type: T) {
  return messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);
}

/** Drives core A to candidate in term 1 by winning its pre-vote. */
function makeCandidate(core: ElectionCore): number {
  const now = tickUntil(core, () => core.status(0).role === 'pre-candidate', 10 * MAX);
  core.step(msg('PreVoteResponse', { from: B, to: A, term: 1, granted: true }), now);
  core.step(msg('PreVoteResponse', { from: C, to: A, term: 1, granted: true }), now);
  expect(core.status(now).role).toBe('candidate');
  return now;
}

function makeLeader(core: ElectionCore): number {
  const now = makeCandidate(core);
  core.step(
    msg('RequestVoteResponse', { from: B, to: A, term: 1, granted: true, leaseWaitMs: 0 }),
    now,
  );
  expect(core.status(now).role).toBe('leader');
  return now;
}

describe('ElectionCore', () => {
  it('rejects options no cluster could run with', () => {
    expect(() => new ElectionCore(coreOptions({ peers: [B, C] }))).toThrow(/peers must include/);
    expect(() => new ElectionCore(coreOptions({ leaseSafetyMarginMs: MIN }))).toThrow(/margin/i);
  });

  it('reports startup once, and ready() drains', () => {
    const core = new ElectionCore(
      coreOptions({ initial: { hardState: { term: 4, votedFor: B } } }),
    );
    expect(core.ready()).toEqual({
      hardState: null,
      snapshot: null,
      entries: [],
      committed: [],
      messages: [],
      roleChanges: [{ role: 'follower', term: 4, leader: null, reason: 'startup' }],
    });
    expect(core.ready()).toEqual(readyOf());
    expect(core.status(0)).toMatchObject({
      role: 'follower',
      term: 4,
      votedFor: B,
      leaseValid: false,
    });
  });

  it('alone, leads with a lease at its first tick', () => {
    const core = makeCore({ peers: [A] });
    expect(core.nextDeadline()).toBe(0);
    core.tick(0);
    const ready = core.ready();
    // Alone it is its own majority: its no-op commits at once.
    expect(ready.hardState).toEqual({ term: 1, votedFor: A, commit: 1 });
    expect(ready.entries).toEqual([{ index: 1, term: 1, data: null }]);
    expect(ready.committed).toEqual([{ index: 1, term: 1, data: null }]);
    expect(ready.roleChanges.map((c) => c.role)).toEqual(['pre-candidate', 'candidate', 'leader']);
    expect(core.status(123_456)).toMatchObject({ role: 'leader', leaseValid: true });
  });

  describe('election timer', () => {
    function timerAfterHeartbeat(ownCpu: number): number {
      const core = makeCore();
      core.setLoad({ machine: ownCpu, background: ownCpu });
      core.step(heartbeat(B, 1, 0, { loads: { [C]: 60 } }), 0);
      return core.nextDeadline();
    }
    const slot = (MAX - MIN) / 3;

    it('puts the least loaded member in the first slot', () => {
      const t = timerAfterHeartbeat(10);
      expect(t).toBeGreaterThanOrEqual(MIN);
      expect(t).toBeLessThan(MIN + slot);
    });

    it('puts the most loaded member in the last slot', () => {
      const t = timerAfterHeartbeat(90);
      expect(t).toBeGreaterThanOrEqual(MIN + 2 * slot);
      expect(t).toBeLessThan(MAX);
    });

    it('breaks a load tie by address: A ranks before B at equal load', () => {
      const t = timerAfterHeartbeat(50);
      expect(t).toBeLessThan(MIN + 2 * slot);
    });
  });

  describe('pre-vote', () => {
    it('starts without touching the term', () => {
      const core = makeCore();
      const now = tickUntil(core, () => core.status(0).role === 'pre-candidate', MAX);
      const ready = core.ready();
      expect(ready.hardState).toBeNull();
      expect(ready.roleChanges).toEqual([
        { role: 'pre-candidate', term: 0, leader: null, reason: 'election timeout' },
      ]);
      expect(sentOfType(ready.messages, 'PreVote').map((m) => [m.to, m.term])).toEqual([
        [B, 1],
        [C, 1],
      ]);
      expect(core.status(now).term).toBe(0);
    });

    it('becomes a candidate with a majority, persisting the new term and self-vote', () => {
      const core = makeCore();
      makeCandidate(core);
      const ready = core.ready();
      expect(ready.hardState).toEqual({ term: 1, votedFor: A, commit: 0 });
      expect(sentOfType(ready.messages, 'RequestVote')).toHaveLength(2);
      expect(sentOfType(ready.messages, 'RequestVote')[0]).toMatchObject({
        term: 1,
        transfer: false,
      });
    });

    it('waits electionRetryMs plus jitter after a majority refuses', () => {
      const core = makeCore();
      const now = tickUntil(core, () => core.status(0).role === 'pre-candidate', MAX);
      core.step(msg('PreVoteResponse', { from: B, to: A, term: 0, granted: false }), now);
      core.step(msg('PreVoteResponse', { from: C, to: A, term: 0, granted: false }), now);
      const retry = DEFAULT_TIMING.electionRetryMs;
      expect(core.nextDeadline()).toBeGreaterThanOrEqual(now + retry);
      expect(core.nextDeadline()).toBeLessThan(now + 2 * retry);
      core.ready();
      core.tick(core.nextDeadline());
      expect(sentOfType(core.ready().messages, 'PreVote')).toHaveLength(2);
      expect(core.status(now).term).toBe(0);
    });

    it('steps aside once for a lighter peer that granted it, then campaigns anyway', () => {
      const core = makeCore();
      core.setLoad({ machine: 80, background: 80 });
      let now = tickUntil(core, () => core.status(0).role === 'pre-candidate', MAX);
      core.ready();
      core.step(msg('PreVoteResponse', { from: B, to: A, term: 1, granted: true, cpu: 20 }), now);
      core.step(msg('PreVoteResponse', { from: C, to: A, term: 1, granted: true, cpu: 90 }), now);
      expect(core.ready().roleChanges).toEqual([
        { role: 'follower', term: 0, leader: null, reason: `deferring to ${B} for load` },
      ]);
      now = tickUntil(core, () => core.status(0).role === 'pre-candidate', now + MAX);
      core.step(msg('PreVoteResponse', { from: B, to: A, term: 1, granted: true, cpu: 20 }), now);
      core.step(msg('PreVoteResponse', { from: C, to: A, term: 1, granted: true, cpu: 90 }), now);
      expect(core.status(now).role).toBe('candidate');
    });

    it('never moves the receiver term, and grants only an up-to-date log', () => {
      const core = makeCore({
        initial: {
          hardState: { term: 2, votedFor: null },
          entries: Array.from({ length: 7 }, (_, i) => ({ index: i + 1, term: 2, data: i })),
        },
      });
      core.step(msg('PreVote', { from: B, to: A, term: 5, lastLogIndex: 7, lastLogTerm: 2 }), 0);
      core.step(msg('PreVote', { from: C, to: A, term: 5, lastLogIndex: 6, lastLogTerm: 2 }), 0);
      const ready = core.ready();
      expect(ready.hardState).toBeNull();
      expect(ready.messages).toEqual([
        expect.objectContaining({ type: 'PreVoteResponse', to: B, term: 5, granted: true }),
        expect.objectContaining({ type: 'PreVoteResponse', to: C, term: 2, granted: false }),
      ]);
      expect(core.status(0).term).toBe(2);
    });

    it('steps down on a refusal from a higher term, not on a grant', () => {
      const core = makeCore();
      const now = tickUntil(core, () => core.status(0).role === 'pre-candidate', MAX);
      core.step(msg('PreVoteResponse', { from: B, to: A, term: 1, granted: true }), now);
      expect(core.status(now)).toMatchObject({ role: 'pre-candidate', term: 0 });
      core.step(msg('PreVoteResponse', { from: C, to: A, term: 3, granted: false }), now);
      expect(core.status(now)).toMatchObject({ role: 'follower', term: 3 });
      expect(core.ready().roleChanges.at(-1)?.reason).toBe(`higher term from ${C}`);
    });
  });

  describe('voting', () => {
    it('persists the vote in the same Ready that carries the grant', () => {
      const core = makeCore();
      core.step(requestVote(C, 3), 0);
      const ready = core.ready();
      expect(ready.hardState).toEqual({ term: 3, votedFor: C, commit: 0 });
      expect(ready.messages).toEqual([
        expect.objectContaining({ type: 'RequestVoteResponse', to: C, term: 3, granted: true }),
      ]);
    });

    it('votes once per term', () => {
      const core = makeCore();
      core.step(requestVote(C, 3), 0);
      core.step(requestVote(B, 3), 1);
      core.step(requestVote(C, 3), 2);
      const grants = sentOfType(core.ready().messages, 'RequestVoteResponse');
      expect(grants.map((m) => [m.to, m.granted])).toEqual([
        [C, true],
        [B, false],
        [C, true],
      ]);
    });

    it('refuses votes, without moving its term, while its leader is alive, unless for a transfer', () => {
      const core = makeCore();
      core.step(heartbeat(B, 1, 0), 0);
      core.ready();
      core.step(requestVote(C, 2), MIN - 1);
      expect(core.ready()).toMatchObject({ hardState: null, messages: [], roleChanges: [] });
      core.step(requestVote(C, 2, { transfer: true, leaseRevokedAt: null }), MIN - 1);
      const ready = core.ready();
      expect(ready.hardState).toEqual({ term: 2, votedFor: C, commit: 0 });
      // The heartbeat acknowledged at 0 may back B's lease until MIN: the winner must wait it out.
      expect(ready.messages).toEqual([expect.objectContaining({ granted: true, leaseWaitMs: 1 })]);
    });

    it('grants once the leader has been silent for electionTimeoutMin', () => {
      const core = makeCore();
      core.step(heartbeat(B, 1, 0), 0);
      core.step(requestVote(C, 2), MIN);
      expect(core.ready().messages.at(-1)).toMatchObject({ granted: true, leaseWaitMs: 0 });
    });

    it('lets a transfer winner skip the wait for heartbeats its old leader revoked', () => {
      const core = makeCore();
      const t = 10_000; // past the start-up promise
      core.step(heartbeat(B, 1, t), t + 5);
      core.step(heartbeat(B, 1, t + 1000, { countsForLease: false }), t + 1005);
      // B revoked its lease at t + 500 (its clock): our acknowledgement of t binds us no more.
      core.step(requestVote(C, 2, { transfer: true, leaseRevokedAt: t + 500 }), t + 1100);
      expect(core.ready().messages.at(-1)).toMatchObject({ granted: true, leaseWaitMs: 0 });
    });

    it('still makes a transfer winner wait for heartbeats sent after the revocation', () => {
      const core = makeCore();
      const t = 10_000;
      core.step(heartbeat(B, 1, t), t + 5);
      core.step(requestVote(C, 2, { transfer: true, leaseRevokedAt: t - 100 }), t + 1100);
      expect(core.ready().messages.at(-1)).toMatchObject({
        granted: true,
        leaseWaitMs: t + 5 + MIN - (t + 1100),
      });
    });

    it('promises nothing for a heartbeat sent while its leader hands over', () => {
      const core = makeCore();
      const t = 10_000;
      core.step(heartbeat(B, 1, t, { countsForLease: false }), t + 5);
      core.step(requestVote(C, 2, { transfer: true, leaseRevokedAt: null }), t + 100);
      expect(core.ready().messages.at(-1)).toMatchObject({ granted: true, leaseWaitMs: 0 });
    });

    it('treats a heartbeat without the lease flag (a malformed peer) as binding', () => {
      const core = makeCore();
      const t = 10_000;
      const bare: Partial<Message> = heartbeat(B, 1, t);
      delete (bare as { countsForLease?: boolean }).countsForLease;
      core.step(bare as Message, t + 5);
      core.step(requestVote(C, 2, { transfer: true, leaseRevokedAt: null }), t + 100);
      expect(core.ready().messages.at(-1)).toMatchObject({ granted: true, leaseWaitMs: MIN - 95 });
    });

    it('tells a stale candidate or leader its newer term', () => {
      const core = makeCore({ initial: { hardState: { term: 5, votedFor: null } } });
      core.step(requestVote(C, 4, { lastLogIndex: 9, lastLogTerm: 4 }), 0);
      core.step(heartbeat(B, 3, 77), 0);
      expect(core.ready().messages).toEqual([
        expect.objectContaining({ type: 'RequestVoteResponse', to: C, term: 5, granted: false }),
        expect.objectContaining({ type: APPEND_ENTRIES_RESPONSE, to: B, term: 5, sentAt: 77 }),
      ]);
    });
  });

  describe('leading', () => {
    it('heartbeats at once and holds a lease only once a majority acknowledged one', () => {
      const core = makeCore();
      const won = makeLeader(core);
      const ready = core.ready();
      expect(ready.roleChanges.at(-1)).toEqual({
        role: 'leader',
        term: 1,
        leader: A,
        reason: 'won election',
      });
      const beats = sentOfType(ready.messages, APPEND_ENTRIES);
      expect(beats.map((m) => [m.to, m.sentAt])).toEqual([
        [B, won],
        [C, won],
      ]);
      expect(core.status(won + 50).leaseValid).toBe(false);

      core.step(
        msg(APPEND_ENTRIES_RESPONSE, {
          from: C,
          to: A,
          term: 1,
          sentAt: won,
          lastLogIndex: 0,
          ...ACK,
        }),
        won + 50,
      );
      // Counted from the send time, not from when the answer came back.
      expect(core.status(won + 50)).toMatchObject({ leaseValid: true, leaseUntil: won + LEASE });
      expect(core.status(won + LEASE).leaseValid).toBe(false);
    });

    it('holds no lease from heartbeats sent before its voters stopped backing an older leader', () => {
      const core = makeCore();
      const now = makeCandidate(core);
      // B acknowledged another leader recently: no lease from heartbeats sent in the next 1000 ms.
      core.step(
        msg('RequestVoteResponse', { from: B, to: A, term: 1, granted: true, leaseWaitMs: 1000 }),
        now,
      );
      core.step(
        msg(APPEND_ENTRIES_RESPONSE, {
          from: B,
          to: A,
          term: 1,
          sentAt: now,
          lastLogIndex: 0,
          ...ACK,
        }),
        now + 10,
      );
      expect(core.status(now + 10).leaseValid).toBe(false);
      const later = tickUntil(core, () => core.nextDeadline() > now + 1000, now + 2000);
      core.step(
        msg(APPEND_ENTRIES_RESPONSE, {
          from: B,
          to: A,
          term: 1,
          sentAt: later,
          lastLogIndex: 0,
          ...ACK,
        }),
        later + 10,
      );
      expect(core.status(later + 10).leaseValid).toBe(true);
    });

    it('steps down when it has not heard from a majority for electionTimeoutMin', () => {
      const core = makeCore();
      const won = makeLeader(core);
      core.ready();
      const down = tickUntil(core, () => core.status(0).role !== 'leader', won + 2 * MIN);
      expect(down).toBe(won + MIN);
      expect(core.ready().roleChanges).toEqual([
        { role: 'follower', term: 1, leader: null, reason: 'lost quorum' },
      ]);
    });
  });

  it('forgets an unreachable leader and campaigns within its ranked retry delay', () => {
    const core = makeCore();
    core.setLoad({ machine: 10, background: 10 });
    core.step(heartbeat(B, 1, 0, { loads: { [C]: 60 } }), 0);
    core.ready();
    core.peerUnreachable(C, 100);
    expect(core.ready().roleChanges).toEqual([]);
    core.peerUnreachable(B, 100);
    expect(core.ready().roleChanges).toEqual([
      { role: 'follower', term: 1, leader: null, reason: 'lost connection to leader' },
    ]);
    expect(core.nextDeadline()).toBeLessThan(100 + DEFAULT_TIMING.electionRetryMs);
    core.tick(core.nextDeadline());
    expect(core.ready().roleChanges).toEqual([
      { role: 'pre-candidate', term: 1, leader: null, reason: 'lost connection to leader' },
    ]);
    expect(core.status(200).peers.find((p) => p.id === C)?.unreachableSince).toBe(100);
  });
});
