import type { Message, NodeId } from '../../../src/election/consensus';
import { msg } from './sim/core-fixture';
import { SimCluster } from './sim/sim-cluster';

function voteRequest(from: NodeId, to: NodeId, term: number): Message {
  return msg('RequestVote', {
    from,
    to,
    term,
    lastLogIndex: 0,
    lastLogTerm: 0,
    transfer: false,
    leaseRevokedAt: null,
  });
}

function lastVoteAnswer(cluster: SimCluster, id: NodeId) {
  const answers = cluster.node(id).sent.filter((m) => m.type === 'RequestVoteResponse');
  return answers.at(-1);
}

describe('hard state across restarts', () => {
  it('a restarted node keeps its term and vote and never votes for another in that term', () => {
    const cluster = new SimCluster({ size: 3, seed: 1 });
    const [a, b, c] = cluster.ids;
    cluster.isolate(c); // only the forged requests below reach it
    cluster.deliver(voteRequest(a, c, 7));
    expect(lastVoteAnswer(cluster, c)).toMatchObject({ to: a, term: 7, granted: true });
    expect(cluster.node(c).disk.hardState).toEqual({ term: 7, votedFor: a, commit: 0 });

    cluster.crash(c);
    cluster.runFor(100);
    cluster.restart(c);
    expect(cluster.status(c)).toMatchObject({ term: 7, votedFor: a });

    cluster.deliver(voteRequest(b, c, 7));
    expect(lastVoteAnswer(cluster, c)).toMatchObject({ to: b, term: 7, granted: false });
    cluster.deliver(voteRequest(a, c, 7));
    expect(lastVoteAnswer(cluster, c)).toMatchObject({ to: a, term: 7, granted: true });
    expect(cluster.safety.violations).toEqual([]);
  });

  it('a candidate that crashes right after voting for itself still refuses others in that term', () => {
    const cluster = new SimCluster({ size: 3, seed: 2 });
    const isCandidate = (id: NodeId) => cluster.status(id)?.role === 'candidate';
    cluster.runUntilTrue(() => cluster.ids.some(isCandidate), 60_000);
    const candidate = cluster.ids.find(isCandidate)!;
    const term = cluster.status(candidate)!.term;
    cluster.crash(candidate);
    cluster.restart(candidate);
    expect(cluster.status(candidate)).toMatchObject({ term, votedFor: candidate });

    const other = cluster.ids.find((id) => id !== candidate)!;
    cluster.deliver(voteRequest(other, candidate, term));
    expect(lastVoteAnswer(cluster, candidate)).toMatchObject({ to: other, granted: false });
  });

  it('persists every vote before it is sent, through seeded crash-heavy runs', () => {
    // The SafetyRecorder checks each Ready: a vote (or self-vote) must match the hard state
    // persisted with it, and no node may vote twice in one term, even across restarts.
    for (let seed = 1; seed <= 100; seed++) {
      const cluster = new SimCluster({ size: 5, seed, network: { dropRate: 0.2 } });
      for (let t = 500; t < 60_000; t += 700) {
        const id = cluster.ids[(seed + t) % 5];
        cluster.at(t, () => cluster.crash(id));
        cluster.at(t + 50 + (t % 400), () => cluster.restart(id));
      }
      cluster.runUntil(60_000);
      expect({ seed, violations: cluster.safety.violations }).toEqual({ seed, violations: [] });
    }
  });
});
