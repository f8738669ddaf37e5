import type { MembershipChange, NodeId } from '../../../src/election/consensus';
import { judgeChange } from '../../../src/election/consensus/membership-guard';
import { SimCluster } from './sim/sim-cluster';

/** A cluster of `size` nodes of which the first `voters` bootstrap it, with an agreed leader. */
function clusterOf(size: number, voters: number, compactEvery?: number) {
  const c = new SimCluster({ size, seed: 7, voters, compactEvery });
  const leader = c.runUntilAgreedLeader();
  // Past the new leader's no-op: changes wait for an entry of its own term to commit.
  c.runFor(c.timing.heartbeatIntervalMs * 2);
  return { c, leader };
}

function change(c: SimCluster, leader: NodeId, what: MembershipChange) {
  const result = c.changeMembership(leader, what);
  c.runFor(c.timing.heartbeatIntervalMs * 2);
  return result;
}

function addLearner(c: SimCluster, leader: NodeId, node: NodeId) {
  return change(c, leader, { kind: 'add', node, apiUrl: `http://${node}`, learner: true });
}

const sentPreVotes = (c: SimCluster, id: NodeId) =>
  c.node(id).sent.filter((m) => m.type === 'PreVote').length;

describe('membership changes in the core', () => {
  it('a learner receives the log but counts for nothing until promoted', () => {
    const { c, leader } = clusterOf(4, 3);
    const learner = c.ids[3];
    expect(addLearner(c, leader, learner)).toMatchObject({ term: expect.any(Number) });
    const data = 'after-learner';
    const at = c.propose(leader, data)!;
    c.runFor(1000);
    expect(c.status(learner)!.commit).toBeGreaterThanOrEqual(at.index);
    expect(c.status(learner)!.selfRole).toBe('learner');
    // With the other two voters down, leader + learner are not a majority of 3 voters.
    for (const v of c.ids.slice(0, 3).filter((id) => id !== leader)) c.crash(v);
    const lost = c.propose(leader, 'no-majority');
    c.runFor(c.timing.electionTimeoutMinMs / 2);
    expect(c.status(leader)!.commit).toBeLessThan(lost!.index);
    // ...and a learner never campaigns, however long it goes without a leader.
    c.crash(leader);
    const before = sentPreVotes(c, learner);
    c.runFor(10 * c.timing.electionTimeoutMaxMs);
    expect(sentPreVotes(c, learner)).toBe(before);
  });

  it('promotes a caught-up learner; the new voter then counts toward the majority', () => {
    const { c, leader } = clusterOf(4, 3);
    const learner = c.ids[3];
    addLearner(c, leader, learner);
    expect(change(c, leader, { kind: 'promote', node: learner })).toMatchObject({
      index: expect.any(Number),
    });
    const { voters, learners } = c.status(leader)!.membership;
    expect(voters).toContain(learner);
    expect(learners).toEqual([]);
    // One voter down of four: three still commit.
    c.crash(c.ids.slice(0, 3).find((id) => id !== leader)!);
    const at = c.propose(leader, 'three-of-four')!;
    c.runFor(1000);
    expect(c.status(leader)!.commit).toBeGreaterThanOrEqual(at.index);
  });

  it('refuses to promote a learner more than 10 entries behind, saying how far', () => {
    const { c, leader } = clusterOf(4, 3);
    const learner = c.ids[3];
    addLearner(c, leader, learner);
    c.crash(learner);
    for (let i = 0; i < 15; i++) c.propose(leader, `e${i}`);
    c.runFor(1000);
    const refused = c.changeMembership(leader, { kind: 'promote', node: learner });
    expect(refused).toMatchObject({ reason: 'behind', behind: expect.any(Number) });
    expect((refused as { behind: number }).behind).toBeGreaterThan(10);
    expect((refused as { message: string }).message).toMatch(/entries behind/);
  });

  it('refuses to promote a learner that has acknowledged nothing, however short the log', () => {
    const { c, leader } = clusterOf(4, 3);
    const learner = c.ids[3];
    // Its machine never comes up: the leader's log stays well within 10 entries of match 0.
    c.crash(learner);
    addLearner(c, leader, learner);
    const lastIndex = c.status(leader)!.lastIndex;
    expect(lastIndex).toBeLessThanOrEqual(10);
    expect(c.changeMembership(leader, { kind: 'promote', node: learner })).toMatchObject({
      reason: 'behind',
      behind: lastIndex,
      message: new RegExp(`^${learner} has acknowledged none of the leader's log`),
    });
    // Once it runs and acknowledges the log (at the next heartbeat), it is promoted.
    c.restart(learner);
    const acked = () => c.status(leader)!.peers.find((p) => p.id === learner)!.matchIndex;
    expect(c.runUntilTrue(() => (acked() ?? 0) > 0, 3 * c.timing.heartbeatIntervalMs)).not.toBe(
      null,
    );
    expect(change(c, leader, { kind: 'promote', node: learner })).toMatchObject({
      index: expect.any(Number),
    });
    expect(c.status(leader)!.membership.voters).toContain(learner);
  });

  it('promotes only a learner that has acknowledged the log to within 10 entries', () => {
    const ctx = {
      config: { index: 3, voters: ['a', 'b', 'c'], learners: ['d'], apiUrls: {} },
      leader: 'a',
      lastIndex: 7,
      commit: 7,
      committedOwnTerm: true,
      matchIndex: (): number => 0,
      reachable: () => true,
    };
    const promote: MembershipChange = { kind: 'promote', node: 'd' };
    expect(judgeChange(ctx, promote)).toMatchObject({ reason: 'behind', behind: 7 });
    expect(judgeChange({ ...ctx, matchIndex: () => 1 }, promote)).toMatchObject({
      voters: ['a', 'b', 'c', 'd'],
    });
    const longer = { ...ctx, lastIndex: 30, commit: 30 };
    expect(judgeChange({ ...longer, matchIndex: () => 19 }, promote)).toMatchObject({
      reason: 'behind',
      behind: 11,
    });
    expect(judgeChange({ ...longer, matchIndex: () => 20 }, promote)).toMatchObject({
      learners: [],
    });
  });

  it('allows one change in flight at a time', () => {
    const { c, leader } = clusterOf(5, 3);
    c.changeMembership(leader, {
      kind: 'add',
      node: c.ids[3],
      apiUrl: 'http://x',
      learner: true,
    });
    const second = c.changeMembership(leader, {
      kind: 'add',
      node: c.ids[4],
      apiUrl: 'http://y',
      learner: true,
    });
    expect(second).toMatchObject({ reason: 'in-flight', message: /not committed yet/ });
  });

  it('waits for the leader to commit an entry of its own term first', () => {
    const config = { index: 3, voters: ['a', 'b', 'c'], learners: [], apiUrls: {} };
    const ctx = {
      config,
      leader: 'a',
      lastIndex: 9,
      commit: 8,
      committedOwnTerm: false,
      matchIndex: () => 9,
      reachable: () => true,
    };
    const add: MembershipChange = { kind: 'add', node: 'd', apiUrl: 'http://d', learner: true };
    expect(judgeChange(ctx, add)).toMatchObject({
      reason: 'no-own-term-commit',
      message: /not yet committed an entry of its own term/,
    });
    expect(judgeChange({ ...ctx, committedOwnTerm: true }, add)).toEqual({
      voters: ['a', 'b', 'c'],
      learners: ['d'],
      apiUrls: { d: 'http://d' },
    });
  });

  it('refuses unsafe changes: a voter added while one is down, one of two reachable removed', () => {
    const { c, leader } = clusterOf(4, 3);
    const down = c.ids.slice(0, 3).find((id) => id !== leader)!;
    c.crash(down);
    c.runFor(c.timing.electionTimeoutMinMs);
    const add = c.changeMembership(leader, {
      kind: 'add',
      node: c.ids[3],
      apiUrl: 'http://x',
      learner: false,
    });
    expect(add).toMatchObject({ reason: 'unsafe', message: new RegExp(`${down} is unreachable`) });
    const other = c.ids.slice(0, 3).find((id) => id !== leader && id !== down)!;
    const remove = c.changeMembership(leader, { kind: 'remove', node: other });
    expect(remove).toMatchObject({ reason: 'unsafe', message: /fewer than the majority/ });
    // Removing the one that is down is safe: two reachable of two voters.
    expect(c.changeMembership(leader, { kind: 'remove', node: down })).toMatchObject({
      index: expect.any(Number),
    });
  });

  it('says what is wrong with a change that is not one', () => {
    const { c, leader } = clusterOf(4, 3);
    const voter = c.ids.slice(0, 3).find((id) => id !== leader)!;
    const ask = (what: MembershipChange) => c.changeMembership(leader, what);
    expect(ask({ kind: 'add', node: voter, apiUrl: 'http://x', learner: true })).toMatchObject({
      reason: 'invalid',
      message: /already a voter/,
    });
    expect(ask({ kind: 'promote', node: voter })).toMatchObject({ reason: 'invalid' });
    expect(ask({ kind: 'remove', node: c.ids[3] })).toMatchObject({ reason: 'unknown' });
    expect(ask({ kind: 'remove', node: leader })).toMatchObject({ reason: 'leader' });
  });

  it('a removed node stops campaigning, says so, and the rest go on without it', () => {
    const { c, leader } = clusterOf(3, 3);
    const gone = c.ids.find((id) => id !== leader)!;
    expect(change(c, leader, { kind: 'remove', node: gone })).toMatchObject({
      index: expect.any(Number),
    });
    expect(c.status(gone)!.selfRole).toBe('removed');
    expect(c.node(gone).roleChanges.at(-1)!.reason).toMatch(/removed from the cluster/);
    expect(c.status(leader)!.departing).toEqual([]);
    const before = sentPreVotes(c, gone);
    c.isolate(gone);
    c.runFor(10 * c.timing.electionTimeoutMaxMs);
    expect(sentPreVotes(c, gone)).toBe(before);
    const at = c.propose(c.agreedLeader()!, 'two-voters')!;
    c.runFor(1000);
    expect(c.status(leader)!.commit).toBeGreaterThanOrEqual(at.index);
  });

  it('never hands leadership to a learner', () => {
    const { c, leader } = clusterOf(4, 3);
    addLearner(c, leader, c.ids[3]);
    expect(c.transferLeadership(leader, 'operator', c.ids[3])).toBeNull();
  });

  it.each([
    ['the log', undefined],
    ['a snapshot', 5],
  ])(
    'a restarted cluster keeps the membership from %s, not from its bootstrap peers',
    (_, every) => {
      const { c, leader } = clusterOf(4, 3, every);
      addLearner(c, leader, c.ids[3]);
      change(c, leader, { kind: 'promote', node: c.ids[3] });
      for (let i = 0; i < 12; i++) c.propose(leader, `e${i}`);
      c.runFor(2000);
      if (every !== undefined) expect(c.node(c.ids[3]).disk.snapshot?.membership).toBeDefined();
      for (const id of c.ids) c.crash(id);
      for (const id of c.ids) c.restart(id);
      for (const id of c.ids) expect(c.status(id)!.membership.voters).toEqual(c.ids);
      c.runUntilAgreedLeader();
    },
  );
});

describe('a cluster of one', () => {
  it('refuses to promote a learner it has never heard from: two of two could never answer', () => {
    const c = new SimCluster({ size: 2, seed: 3, voters: 1 });
    const leader = c.runUntilAgreedLeader();
    c.runFor(100);
    const learner = c.ids[1];
    expect(
      c.changeMembership(leader, { kind: 'add', node: learner, apiUrl: 'http://l', learner: true }),
    ).toMatchObject({ index: expect.any(Number) });
    c.runFor(100);
    c.crash(learner);
    expect(c.changeMembership(leader, { kind: 'promote', node: learner })).toMatchObject({
      reason: 'unsafe',
      message: /1 reachable of 2 voters, fewer than the majority of 2/,
    });
    expect(c.status(leader)!.leaseValid).toBe(true);
  });
});
