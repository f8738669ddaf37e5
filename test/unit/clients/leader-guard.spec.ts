import { LeaderGuard } from '../../../src/clients/leader.guard';
import {
  LeaseNotHeldError,
  NoLeaderError,
  LeaderElsewhereError,
} from '../../../src/common/http/leadership-errors';
import { toErrorResponse } from '../../../src/common/http/error-response';
import { LeadershipState } from '../../../src/election/leadership-state';
import type { ExecutionContext } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';

/** A response the guard may stamp, and the request context that carries it. */
function requestTo(): { context: ExecutionContext; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  const response = { headers };
  const context = {
    switchToHttp: () => ({ getResponse: () => response }),
  } as unknown as ExecutionContext;
  return { context, headers };
}

const adapterHost = {
  httpAdapter: {
    setHeader: (res: { headers: Record<string, string> }, name: string, value: string) => {
      res.headers[name] = value;
    },
  },
} as unknown as HttpAdapterHost;

describe('LeaderGuard', () => {
  const state = new LeadershipState();
  const guard = new LeaderGuard(state, adapterHost);
  const view = { term: 3, leader: '127.0.0.1:8080', leaderApi: 'http://127.0.0.1:3000' };

  it('lets requests through only on a leader that holds its lease, naming the term', () => {
    state.update({ role: 'leader', ...view }, () => true);
    const { context, headers } = requestTo();
    expect(guard.canActivate(context)).toBe(true);
    expect(headers).toEqual({ 'Rollcall-Term': '3' });
  });

  it('answers 503 on a leader without its lease, never 200 and never a 403 naming itself', () => {
    state.update({ role: 'leader', ...view }, () => false);
    const { context, headers } = requestTo();
    expect(() => guard.canActivate(context)).toThrow(LeaseNotHeldError);
    expect(headers).toEqual({});
    const res = toErrorResponse(new LeaseNotHeldError());
    expect(res.status).toBe(503);
    expect(res.headers).toEqual({ 'Retry-After': '1' });
  });

  it('points a follower at the leader with 403', () => {
    state.update({ role: 'follower', ...view });
    const { context, headers } = requestTo();
    expect(() => guard.canActivate(context)).toThrow(LeaderElsewhereError);
    expect(headers).toEqual({});
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
    expect(() => guard.canActivate(requestTo().context)).toThrow(NoLeaderError);
    expect(toErrorResponse(new NoLeaderError()).status).toBe(503);
  });
});
