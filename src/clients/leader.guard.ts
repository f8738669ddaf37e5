import { type CanActivate, Injectable } from '@nestjs/common';
import { LeadershipState } from '../election/leadership-state';
import {
  LeaseNotHeldError,
  NoLeaderError,
  LeaderElsewhereError,
} from '../common/http/leadership-errors';

/**
 * Lets a request through only on a leader that holds its lease; otherwise a 403 naming the
 * leader, or a 503 while there is none (or the lease is not held). The term the answer is
 * served in is stamped by TermHeaderInterceptor (see LeaderOnly).
 */
@Injectable()
export class LeaderGuard implements CanActivate {
  constructor(private readonly leadership: LeadershipState) {}

  canActivate(): boolean {
    if (this.leadership.canServeAsLeader()) return true;
    const { role, leader, leaderApi } = this.leadership.current;
    if (role === 'leader') throw new LeaseNotHeldError();
    if (leader) throw new LeaderElsewhereError(leader, leaderApi);
    throw new NoLeaderError();
  }
}
