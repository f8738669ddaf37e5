import {
  ElectionCore,
  MAX_BATCH_ENTRIES,
  type Entry,
  APPEND_ENTRIES,
  APPEND_ENTRIES_RESPONSE,
  type AppendEntries,
  type Message,
  type NodeId,
} from '../../../src/election/consensus';
import { A, B, C, coreOptions, msg, tickUntil } from './sim/core-fixture';
import { SimCluster } from './sim/sim-cluster';
import { DEFAULT_TIMING } from './sim/timing';

const { electionTimeoutMaxMs: MAX } = DEFAULT_TIMING;

const entry = (index: number, term: number, data: unknown = `e${index}`): Entry => ({
  index,
  term,
  data,
});

function appendsTo(messages: Message[], to: NodeId): AppendEntries[] {
  return messages.filter((m): m is AppendEntries => m.type === APPEND_ENTRIES && m.to === to);
}

/** Core A, started from `entries` in `term`, elected leader of term + 1 by B's vote. */
function leaderFrom(term: number, entries: Entry[]): { core: ElectionCore; now: number } {
  const core = new ElectionCore(
    coreOptions({ initial: { hardState: { term, votedFor: null }, entries } }),
  );
  core.ready();
  const now = tickUntil(core, () => core.status(0).role === 'pre-candidate', 10 * MAX);
  for (const from of [B, C]) {
    core.step(msg('PreVoteResponse', { from, to: A, term: term + 1, granted: true }), now);
  }
  core.step(
    msg('RequestVoteResponse', { from: B, to: A, term: term + 1, granted: true, leaseWaitMs: 0 }),
    now,
  );
  expect(core.status(now).role).toBe('leader');
  return { core, now };
}

function ack(from: NodeId, term: number, sentAt: number, matchIndex: number, success = true) {
  return msg(APPEND_ENTRIES_RESPONSE, {
    from,
    to: A,
    term,
    sentAt,
    lastLogIndex: matchIndex,
    success,
    matchIndex,
  });
}

describe('log replication in the core', () => {
  it('appends a no-op of its term on election and commits it with a majority', () => {
    const { core, now } = leaderFrom(0, []);
    const ready = core.ready();
    expect(ready.entries).toEqual([entry(1, 1, null)]);
    expect(appendsTo(ready.messages, B)[0]).toMatchObject({
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [entry(1, 1, null)],
      leaderCommit: 0,
    });
    core.step(ack(B, 1, now, 1), now + 5);
    expect(core.ready()).toMatchObject({
      hardState: { term: 1, votedFor: A, commit: 1 },
      committed: [entry(1, 1, null)],
    });
  });

  it('group commit: proposals made before ready() go out in one AppendEntries per follower', () => {
    const { core, now } = leaderFrom(0, []);
    core.ready();
    expect(core.propose('too early', now)).toBeNull(); // no lease yet
    core.step(ack(B, 1, now, 1), now + 5);
    core.step(ack(C, 1, now, 1), now + 5);
    core.ready();
    const t = now + 10;
    const placed = ['a', 'b', 'c', 'd'].map((data) => core.propose(data, t));
    expect(placed).toEqual([2, 3, 4, 5].map((index) => ({ index, term: 1 })));
    const ready = core.ready();
    expect(ready.entries.map((e) => e.data)).toEqual(['a', 'b', 'c', 'd']);
    expect(ready.committed).toEqual([]);
    for (const to of [B, C]) {
      const appends = appendsTo(ready.messages, to);
      expect(appends).toHaveLength(1);
      expect(appends[0]).toMatchObject({ prevLogIndex: 1, prevLogTerm: 1, sentAt: t });
      expect(appends[0].entries.map((e) => e.data)).toEqual(['a', 'b', 'c', 'd']);
    }
    core.step(ack(C, 1, t, 5), t + 5);
    const after = core.ready();
    expect(after.committed.map((e) => e.data)).toEqual(['a', 'b', 'c', 'd']);
    expect(after.hardState).toMatchObject({ commit: 5 });
  });

  it('never commits an entry of an earlier term by counting replicas (Figure 8)', () => {
    // A holds entry 2 from term 2, never committed; it now leads term 3.
    const { core, now } = leaderFrom(2, [entry(1, 1), entry(2, 2)]);
    expect(core.ready().entries).toEqual([entry(3, 3, null)]);
    // B now holds entry 2 too: a majority, but of an earlier term. Nothing commits.
    core.step(ack(B, 3, now, 2), now + 5);
    expect(core.ready().committed).toEqual([]);
    expect(core.status(now + 5).commit).toBe(0);
    // Once a majority holds the no-op of term 3, it commits, and everything before it.
    core.step(ack(C, 3, now, 3), now + 6);
    expect(core.ready().committed).toEqual([entry(1, 1), entry(2, 2), entry(3, 3, null)]);
  });

  it('backs off on a refusal using the follower hint and resends from there', () => {
    const { core, now } = leaderFrom(3, [entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 3)]);
    core.ready();
    // B holds only 1..2: it refuses prev 4 and hints that it may match at 2.
    core.step(ack(B, 4, now, 2, false), now + 5);
    const resent = appendsTo(core.ready().messages, B);
    expect(resent).toHaveLength(1);
    expect(resent[0]).toMatchObject({ prevLogIndex: 2, prevLogTerm: 1 });
    expect(resent[0].entries.map((e) => e.index)).toEqual([3, 4, 5]);
  });

  it('a follower drops a conflicting uncommitted suffix, never a committed entry', () => {
    const core = new ElectionCore(
      coreOptions({
        initial: {
          hardState: { term: 1, votedFor: null, commit: 1 },
          entries: [entry(1, 1), entry(2, 1), entry(3, 1, 'x'), entry(4, 1, 'y')],
        },
      }),
    );
    expect(core.ready().committed).toEqual([entry(1, 1)]);
    const append = (entries: Entry[], leaderCommit: number, prevLogIndex = 2) =>
      msg(APPEND_ENTRIES, {
        from: B,
        to: A,
        term: 2,
        sentAt: 10,
        loads: {},
        countsForLease: true,
        prevLogIndex,
        prevLogTerm: 1,
        entries,
        leaderCommit,
      });
    core.step(append([entry(3, 2, 'z')], 3), 10);
    const ready = core.ready();
    expect(ready.truncateFrom).toBe(3);
    expect(ready.entries).toEqual([entry(3, 2, 'z')]);
    expect(ready.committed).toEqual([entry(2, 1), entry(3, 2, 'z')]);
    expect(ready.hardState).toEqual({ term: 2, votedFor: null, commit: 3 });
    expect(ready.messages).toEqual([
      expect.objectContaining({ type: APPEND_ENTRIES_RESPONSE, success: true, matchIndex: 3 }),
    ]);
    // A stale copy of an older AppendEntries changes nothing that is committed.
    core.step(append([entry(2, 1), entry(3, 1, 'x')], 1, 1), 11);
    const stale = core.ready();
    expect(stale.truncateFrom).toBeUndefined();
    expect(stale.entries).toEqual([]);
    expect(core.status(11)).toMatchObject({ lastIndex: 3, lastTerm: 2, commit: 3 });
  });

  it('a follower installs a snapshot its log does not match, replacing the whole log', () => {
    const core = new ElectionCore(
      coreOptions({
        initial: {
          hardState: { term: 2, votedFor: null, commit: 1 },
          entries: [entry(1, 1), entry(2, 2, 'stale')],
        },
      }),
    );
    core.ready();
    const install = msg('InstallSnapshot', {
      from: B,
      to: A,
      term: 3,
      sentAt: 10,
      loads: {},
      countsForLease: true,
      snapshotIndex: 40,
      snapshotTerm: 3,
      data: { users: 39 },
      leaderCommit: 42,
    });
    core.step(install, 10);
    const ready = core.ready();
    expect(ready).toMatchObject({
      snapshot: { index: 40, term: 3, data: { users: 39 } },
      truncateFrom: 41,
      entries: [],
      committed: [],
      hardState: { term: 3, commit: 40 },
    });
    expect(ready.messages).toEqual([
      expect.objectContaining({ type: APPEND_ENTRIES_RESPONSE, success: true, matchIndex: 40 }),
    ]);
    expect(core.status(10)).toMatchObject({ firstIndex: 41, lastIndex: 40, lastTerm: 3 });
    // A duplicate changes nothing.
    core.step(install, 11);
    expect(core.ready()).toMatchObject({ snapshot: null, entries: [], committed: [] });
  });

  it('a follower missing prev refuses with a hint below it', () => {
    const core = new ElectionCore(
      coreOptions({
        initial: { hardState: { term: 2, votedFor: null }, entries: [entry(1, 1), entry(2, 2)] },
      }),
    );
    core.ready();
    core.step(
      msg(APPEND_ENTRIES, {
        from: B,
        to: A,
        term: 3,
        sentAt: 10,
        loads: {},
        countsForLease: true,
        prevLogIndex: 6,
        prevLogTerm: 3,
        entries: [entry(7, 3)],
        leaderCommit: 6,
      }),
      10,
    );
    const ready = core.ready();
    expect(ready.entries).toEqual([]);
    expect(ready.messages).toEqual([
      expect.objectContaining({ type: APPEND_ENTRIES_RESPONSE, success: false, matchIndex: 2 }),
    ]);
  });
});

describe('log replication in a simulated cluster', () => {
  function proposeOn(cluster: SimCluster, leader: NodeId, n: number, prefix: string): void {
    for (let i = 0; i < n; i++) {
      expect(cluster.propose(leader, `${prefix}${i}`)).not.toBeNull();
    }
  }

  it('a follower far behind catches up by snapshot, then by log', () => {
    const cluster = new SimCluster({ size: 3, seed: 11, compactEvery: 10 });
    const leader = cluster.runUntilAgreedLeader();
    const lagging = cluster.ids.find((id) => id !== leader)!;
    cluster.crash(lagging);
    for (let round = 0; round < 5; round++) {
      proposeOn(cluster, leader, 8, `r${round}-`);
      cluster.runFor(200);
    }
    const snapshot = cluster.node(leader).disk.snapshot;
    expect(snapshot?.index).toBeGreaterThan(cluster.node(lagging).disk.entries.length);

    cluster.restart(lagging);
    cluster.runFor(2 * DEFAULT_TIMING.heartbeatIntervalMs);
    proposeOn(cluster, leader, 3, 'after-');
    cluster.runFor(2 * DEFAULT_TIMING.heartbeatIntervalMs);

    const toLagging = cluster.node(leader).sent.filter((m) => m.to === lagging);
    const firstSnapshot = toLagging.findIndex((m) => m.type === 'InstallSnapshot');
    expect(firstSnapshot).toBeGreaterThanOrEqual(0);
    const laterEntries = toLagging
      .slice(firstSnapshot + 1)
      .filter((m) => m.type === APPEND_ENTRIES && m.entries.length > 0);
    expect(laterEntries.length).toBeGreaterThan(0);
    expect(cluster.node(lagging).disk.snapshot?.index).toBeGreaterThanOrEqual(snapshot!.index);
    expect(cluster.node(lagging).applied).toEqual(cluster.node(leader).applied);
    expect(cluster.node(lagging).applied.at(-1)).toBe(`${cluster.status(leader)!.term}/"after-2"`);
    expect(cluster.safety.violations).toEqual([]);
  });

  it(`sends a lagging follower at most ${MAX_BATCH_ENTRIES} entries at a time`, () => {
    const cluster = new SimCluster({ size: 3, seed: 12 });
    const leader = cluster.runUntilAgreedLeader();
    const lagging = cluster.ids.find((id) => id !== leader)!;
    cluster.crash(lagging);
    proposeOn(cluster, leader, 1200, 'bulk-');
    cluster.runFor(500);
    cluster.restart(lagging);
    cluster.runFor(3 * DEFAULT_TIMING.heartbeatIntervalMs);
    const sizes = cluster
      .node(leader)
      .sent.filter((m): m is AppendEntries => m.type === APPEND_ENTRIES && m.to === lagging)
      .map((m) => m.entries.length);
    expect(Math.max(...sizes)).toBe(MAX_BATCH_ENTRIES);
    expect(cluster.node(lagging).applied).toEqual(cluster.node(leader).applied);
  });

  it('every node restarted from its disk keeps and re-applies every committed entry', () => {
    const cluster = new SimCluster({ size: 3, seed: 13, compactEvery: 25 });
    const leader = cluster.runUntilAgreedLeader();
    proposeOn(cluster, leader, 40, 'keep-');
    cluster.runFor(2 * DEFAULT_TIMING.heartbeatIntervalMs);
    const before = cluster.node(leader).applied;
    expect(before).toHaveLength(41);
    for (const id of cluster.ids) cluster.crash(id);
    for (const id of cluster.ids) cluster.restart(id);
    const next = cluster.runUntilAgreedLeader();
    cluster.runFor(2 * DEFAULT_TIMING.heartbeatIntervalMs);
    for (const id of cluster.ids) {
      expect(cluster.node(id).applied.slice(0, 41)).toEqual(before);
    }
    expect(cluster.node(next).applied.length).toBeGreaterThan(41); // the new leader's no-op
    expect(cluster.safety.violations).toEqual([]);
  });
});
