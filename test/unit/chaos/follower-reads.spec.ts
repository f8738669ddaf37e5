import { checkFollowerReads } from '../../../chaos/follower-reads';
import { type HeartbeatAck, type OnlineList, Recorder } from '../../../chaos/recorder';

/**
 * The follower-reads invariant: a follower serves /discover only within its lag bound, and its
 * copy holds every client acknowledged before the leader's list it holds (the read's send time
 * less its lag) and recently enough to be online (29 s).
 */
describe('chaos checker: follower reads', () => {
  const t = (x: number) => `${x}`;
  const ADDR = '10.0.0.1:9000';
  const ack = (username: string, send: number, recv = send + 5): HeartbeatAck => ({
    node: 0,
    term: 1,
    route: '/heartbeat',
    send,
    recv,
    source: 'workload',
    username,
    addr: ADDR,
  });
  /** A follower's /discover listing `online`: names at ADDR, or names with addresses. */
  const read = (send: number, lagMs: number, online: string[] | OnlineList) => ({
    node: 1,
    lagMs,
    send,
    recv: send + 5,
    online: Array.isArray(online) ? new Map(online.map((u) => [u, ADDR])) : online,
  });

  it('reports a read served further behind than the bound, or with no bound at all', () => {
    const rec = new Recorder();
    rec.followerReads.push(read(100_000, 200, []), read(101_000, 900, []));
    expect(checkFollowerReads(rec, 500, t)).toMatchObject({ reads: 2, violations: 1 });
    expect(checkFollowerReads(rec, null, t)).toMatchObject({ violations: 2 });
  });

  it('expects a client acked before the copy was last updated, while it is online', () => {
    const rec = new Recorder();
    // The copy holds the leader's list as of 100,000 - 100 = 99,900.
    rec.heartbeatAcks.push(ack('early', 90_000), ack('twice', 60_000), ack('twice', 99_800));
    rec.followerReads.push(read(100_000, 100, ['early']));
    const r = checkFollowerReads(rec, 500, t);
    expect(r).toMatchObject({ violations: 1 });
    expect(r.examples[0]).toMatch(/^twice missing from node 1's follower read/);
  });

  it('expects the client at the address its heartbeats named', () => {
    const rec = new Recorder();
    rec.heartbeatAcks.push(ack('c', 90_000));
    rec.followerReads.push(read(100_000, 100, new Map([['c', '10.0.0.9:9000']])));
    const r = checkFollowerReads(rec, 500, t);
    expect(r).toMatchObject({ violations: 1 });
    expect(r.examples[0]).toMatch(
      /^c listed at 10\.0\.0\.9:9000 \(its heartbeats named 10\.0\.0\.1:9000\) in node 1's follower read/,
    );
  });

  it('does not expect a client acked after the last update, nor one whose ack is too old', () => {
    const rec = new Recorder();
    rec.heartbeatAcks.push(
      ack('late', 99_900), // acked after the list the copy holds
      ack('answered-late', 98_000, 99_900), // sent before it, answered after it
      ack('gone', 70_000), // online until 99,000: before this answer
      ack('held', 76_000), // sent at or after 100,005 - 29,000 = 71,005, answered before 99,900
    );
    rec.followerReads.push(read(100_000, 100, ['held']));
    const r = checkFollowerReads(rec, 500, t);
    expect(r).toMatchObject({ violations: 0, checks: 2 });
  });

  it('finds the one ack that makes a client expected among many that do not', () => {
    const rec = new Recorder();
    for (let at = 0; at < 200_000; at += 1_000) rec.heartbeatAcks.push(ack('c', at));
    rec.followerReads.push(read(150_000, 0, []), read(300_000, 0, []));
    // At 150,000 the acks sent 121,005..148,000 qualify; at 300,000 none is recent enough.
    expect(checkFollowerReads(rec, 500, t)).toMatchObject({ violations: 1, checks: 3 });
  });

  describe('on /users', () => {
    const usersRead = (send: number, lagMs: number, users: string[]) => ({
      node: 2,
      lagMs,
      send,
      recv: send + 5,
      users: new Set(users),
    });

    it('expects every registration answered before the registry it served, however old', () => {
      const rec = new Recorder();
      rec.registrations.push(
        { username: 'old', userId: 'u1', at: 10_000 }, // long before: registrations never expire
        { username: 'recent', userId: 'u2', at: 99_899 }, // before 100,000 - 100 = 99,900
        { username: 'after', userId: 'u3', at: 99_900 }, // not before it
      );
      rec.followerUsersReads.push(usersRead(100_000, 100, ['old']));
      const r = checkFollowerReads(rec, 500, t);
      expect(r).toMatchObject({ usersReads: 1, violations: 1, checks: 3 });
      expect(r.examples).toEqual([
        "recent missing from node 2's follower /users at 100005 (lag 100 ms), registered before the registry it served",
      ]);
    });

    it('reports a /users served further behind than the bound', () => {
      const rec = new Recorder();
      rec.followerUsersReads.push(usersRead(100_000, 900, []));
      expect(checkFollowerReads(rec, 500, t)).toMatchObject({ violations: 1, checks: 1 });
    });
  });
});
