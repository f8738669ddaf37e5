import {
  checkDiscover,
  checkLeadersPerTerm,
  checkOverlap,
  checkRegistrations,
} from '../../../chaos/checker';
import { type LeaderAnswer, type OnlineList, Recorder } from '../../../chaos/recorder';

/** The chaos checker must report real violations, and none where the history is legal. */
describe('chaos invariant checker', () => {
  const t = (x: number) => `${x}`;
  const answer = (node: number, term: number, send: number, recv: number): LeaderAnswer => ({
    node,
    term,
    route: '/discover',
    send,
    recv,
    source: 'prober',
  });

  describe('overlapping leadership', () => {
    it('reports an older term served after a newer one had been', () => {
      const r = checkOverlap([answer(1, 2, 50, 90), answer(0, 1, 100, 110)], t);
      expect(r).toMatchObject({ checks: 2, violations: 1 });
      expect(r.examples[0]).toContain('node 0 served /discover in term 1');
    });

    it('accepts a handover whose answers may have crossed in flight', () => {
      // B answered at 105, after A was sent at 100: A may have been served before B.
      expect(checkOverlap([answer(1, 2, 50, 105), answer(0, 1, 100, 110)], t)).toMatchObject({
        checks: 2,
        violations: 0,
      });
    });
  });

  it('reports a term with two leaders, from answers, health or logs', () => {
    const rec = new Recorder();
    rec.claims.push({ term: 3, node: 0, how: 'answer', at: 1 });
    rec.claims.push({ term: 4, node: 0, how: 'health', at: 2 });
    const incarnations = [
      {
        node: 1,
        startedAt: 0,
        lines: ['[Election] became leader in term 3, leader x (reason: y)'],
      },
    ];
    const r = checkLeadersPerTerm(rec, incarnations);
    expect(r).toMatchObject({ checks: 2, violations: 1, terms: 2 });
    expect(r.examples).toEqual(['term 3 led by node 0 (answer) and node 1 (log)']);
  });

  it('reports acked registrations missing or with another id, and unverified nodes', () => {
    const rec = new Recorder();
    rec.registrations.push({ username: 'a', userId: 'id-a', at: 0 });
    rec.registrations.push({ username: 'b', userId: 'id-b', at: 0 });
    const r = checkRegistrations(rec, {
      target: 10,
      error: null,
      registries: [
        {
          node: 0,
          term: 5,
          users: new Map([
            ['a', ['id-a']],
            ['b', ['id-b']],
          ]),
          error: null,
        },
        { node: 1, term: 6, users: new Map([['a', ['id-x']]]), error: null },
        { node: 2, term: null, users: null, error: 'never led' },
      ],
    });
    expect(r).toMatchObject({ checks: 4, acked: 2, nodesVerified: 2 });
    expect(r.unverified).toEqual(['node 2: never led']);
    // a's id differs across nodes and from its ack; b is missing on node 1.
    expect(r.violations).toBe(3);
  });

  describe('clients missing from /discover', () => {
    const ADDR = '10.0.0.1:9000';
    /** A /discover answer listing `online`: names at ADDR, or a list of names and addresses. */
    const discover = (node: number, term: number, at: number, online: string[] | OnlineList) => ({
      ...answer(node, term, at, at + 5),
      online: Array.isArray(online) ? new Map(online.map((u) => [u, ADDR])) : online,
    });
    /** A heartbeat of client c acked; `addr` null: it named no address (its registered one). */
    const ack = (node: number, term: number, at: number, addr: string | null = ADDR) => ({
      ...answer(node, term, at, at + 5),
      route: '/heartbeat',
      username: 'c',
      ...(addr === null ? {} : { addr }),
      source: 'workload' as const,
    });

    it('expects a client acked by the same leader in the same term', () => {
      const rec = new Recorder();
      rec.heartbeatAcks.push(ack(0, 1, 1000));
      rec.discovers.push(discover(0, 1, 2000, []), discover(0, 1, 3000, ['c']));
      const r = checkDiscover(rec, [], t);
      expect(r).toMatchObject({ checks: 2, violations: 1, sameLeader: 2, laterLeader: 0 });
    });

    it('expects it on a later leader, whatever happened to the leader that acked it', () => {
      const rec = new Recorder();
      rec.heartbeatAcks.push(ack(0, 1, 1000));
      rec.discovers.push(discover(1, 2, 5000, []));
      // The acking leader was killed 10 ms after its answer: no excuse.
      rec.processFaults.push({ node: 0, start: 1015, end: 3000 });
      expect(checkDiscover(rec, [], t)).toMatchObject({
        checks: 1,
        violations: 1,
        laterLeader: 1,
        onRestartedNode: 0,
      });
      // Said of an answer from a node that was restarted between the ack and the answer.
      const restarted = [{ node: 1, startedAt: 4000, lines: [] }];
      expect(checkDiscover(rec, restarted, t)).toMatchObject({ onRestartedNode: 1 });
    });

    it('does not rely on an ack when another node failed within the second after it', () => {
      const rec = new Recorder();
      rec.heartbeatAcks.push(ack(0, 1, 1000));
      rec.discovers.push(discover(1, 2, 5000, []));
      // Node 2 may have been the only other holder; stopped 1.5 s after the ack it was not.
      rec.processFaults.push({ node: 2, start: 2600, end: 2700 });
      expect(checkDiscover(rec, [], t)).toMatchObject({ checks: 1, violations: 1 });
      rec.processFaults.push({ node: 2, start: 1500, end: 1600 });
      expect(checkDiscover(rec, [], t)).toMatchObject({ checks: 0, violations: 0 });
    });

    it('counts a process fault that never ended as lasting to the end', () => {
      const rec = new Recorder();
      rec.heartbeatAcks.push(ack(0, 1, 1000));
      rec.discovers.push(discover(1, 2, 5000, []));
      rec.processFault(1); // from now (the recorder's clock) on, with no end
      rec.processFaults[0].start = 500;
      expect(checkDiscover(rec, [], t)).toMatchObject({ checks: 0 });
    });

    it('expects the client at the address its heartbeats named', () => {
      const rec = new Recorder();
      rec.heartbeatAcks.push(ack(0, 1, 1000), ack(0, 1, 1500));
      rec.discovers.push(discover(0, 1, 2000, new Map([['c', '10.0.0.9:9000']])));
      const r = checkDiscover(rec, [], t);
      expect(r).toMatchObject({ checks: 1, violations: 1, atAddress: 1 });
      expect(r.examples[0]).toMatch(
        /^c listed at 10\.0\.0\.9:9000 \(its heartbeats named 10\.0\.0\.1:9000\) in \/discover of node 0/,
      );
    });

    it('checks only the name of a client that moved, or whose heartbeats named no address', () => {
      const elsewhere = discover(0, 1, 2000, new Map([['c', '10.0.0.9:9000']]));
      const moved = new Recorder();
      moved.heartbeatAcks.push(ack(0, 1, 1000), ack(0, 1, 1500, '10.0.0.9:9000'));
      moved.discovers.push(elsewhere);
      expect(checkDiscover(moved, [], t)).toMatchObject({ checks: 1, violations: 0, atAddress: 0 });
      const registered = new Recorder();
      registered.heartbeatAcks.push(ack(0, 1, 1000, null));
      registered.discovers.push(elsewhere);
      expect(checkDiscover(registered, [], t)).toMatchObject({
        checks: 1,
        violations: 0,
        atAddress: 0,
      });
    });

    it('does not expect a client whose last ack is more than 29 s old', () => {
      const rec = new Recorder();
      rec.heartbeatAcks.push(ack(0, 1, 1000));
      rec.discovers.push(discover(0, 1, 31_000, []));
      expect(checkDiscover(rec, [], t)).toMatchObject({ checks: 0, violations: 0 });
    });
  });
});
