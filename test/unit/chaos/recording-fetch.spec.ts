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

  it("files a leader's /users as a leader answer, for the overlap check", () => {
    const rec = new Recorder();
    recordAnswer(rec, new Headers(), answer('/users', users));
    expect(rec.followerUsersReads).toEqual([]);
    expect(rec.leaderAnswers).toMatchObject([{ node: 1, term: 4, route: '/users' }]);
  });
});
