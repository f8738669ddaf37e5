import { LeaderGuard } from '../../../src/clients/leader.guard';
import {
  LeaseNotHeldError,
  NoLeaderError,
  LeaderElsewhereError,
} from '../../../src/common/http/leadership-errors';
import { toErrorResponse } from '../../../src/common/http/error-response';
import { LeadershipState } from '../../../src/election/leadership-state';

describe('LeaderGuard', () => {
  const state = new LeadershipState();
  const guard = new LeaderGuard(state);
  const view = { term: 3, leader: '127.0.0.1:8080', leaderApi: 'http://127.0.0.1:3000' };

  it('lets requests through only on a leader that holds its lease', () => {
    state.update({ role: 'leader', ...view }, () => true);
    expect(guard.canActivate()).toBe(true);
  });

  it('answers 503 on a leader without its lease, never 200 and never a 403 naming itself', () => {
    state.update({ role: 'leader', ...view }, () => false);
    expect(() => guard.canActivate()).toThrow(LeaseNotHeldError);
    const res = toErrorResponse(new LeaseNotHeldError());
    expect(res.status).toBe(503);
    expect(res.headers).toEqual({ 'Retry-After': '1' });
  });

  it('points a follower at the leader with 403', () => {
    state.update({ role: 'follower', ...view });
    expect(() => guard.canActivate()).toThrow(LeaderElsewhereError);
    expect(toErrorResponse(new LeaderElsewhereError(view.leader, view.leaderApi))).toEqual({
      status: 403,
      body: {
        success: false,
        message: 'This node is not the leader. Current leader: 127.0.0.1:8080',
        current_leader: '127.0.0.1:8080',
        leader_api: 'http://127.0.0.1:3000',
      },
    });
  });

  it('answers 503 while no leader is known', () => {
    state.update({ role: 'candidate', term: 4, leader: null, leaderApi: null });
    expect(() => guard.canActivate()).toThrow(NoLeaderError);
    expect(toErrorResponse(new NoLeaderError()).status).toBe(503);
  });
});
