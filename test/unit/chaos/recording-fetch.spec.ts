import { recordAnswer } from '../../../chaos/recording-fetch';
import { Recorder } from '../../../chaos/recorder';

describe('chaos recorder: where a 200 from a client route is filed', () => {
  const answer = (route: string, responseBody: string) => ({
    node: 1,
    route,
    header: '4',
    send: 1_000,
    recv: 1_010,
    source: 'workload' as const,
    requestBody: null,
    responseBody,
  });
  const users = JSON.stringify({ users: [{ username: 'a' }, { username: 'b' }], count: 2 });

  it("files a follower's /users, which says its lag, under the follower reads", () => {
    const rec = new Recorder();
    recordAnswer(rec, new Headers({ 'rollcall-lag-ms': '12' }), answer('/users', users));
    expect(rec.followerUsersReads).toEqual([
      { node: 1, lagMs: 12, send: 1_000, recv: 1_010, users: new Set(['a', 'b']) },
    ]);
    expect(rec.leaderAnswers).toEqual([]);
  });

  it('files a heartbeat with the address it named, and a /discover with the addresses it gave', () => {
    const rec = new Recorder();
    const beat = {
      ...answer('/heartbeat', '{}'),
      requestBody: '{"username":"a","addr":"10.0.0.1:9"}',
    };
    recordAnswer(rec, new Headers(), beat);
    recordAnswer(rec, new Headers({ 'rollcall-via': 'follower', 'rollcall-lag-ms': '3' }), {
      ...beat,
      requestBody: '{"username":"b"}',
    });
    const online = { online_clients: [{ username: 'a', addr: '10.0.0.1:9' }] };
    recordAnswer(rec, new Headers(), answer('/discover', JSON.stringify(online)));
    expect(rec.heartbeatAcks).toMatchObject([
      { username: 'a', addr: '10.0.0.1:9', term: 4 },
      { username: 'b', viaFollower: true },
    ]);
    expect(rec.heartbeatAcks[1]).not.toHaveProperty('addr');
    expect(rec.discovers).toMatchObject([{ online: new Map([['a', '10.0.0.1:9']]) }]);
  });

  it("files a leader's /users as a leader answer, for the overlap check", () => {
    const rec = new Recorder();
    recordAnswer(rec, new Headers(), answer('/users', users));
    expect(rec.followerUsersReads).toEqual([]);
    expect(rec.leaderAnswers).toMatchObject([{ node: 1, term: 4, route: '/users' }]);
  });
});
