import { Inject, Injectable } from '@nestjs/common';
import { PresenceService } from '../clients/presence.service';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState } from '../election/leadership-state';

@Injectable()
export class HealthService {
  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly leadership: LeadershipState,
    private readonly presence: PresenceService,
  ) {}

  health() {
    const view = this.leadership.current;
    const isLeader = this.leadership.canServeAsLeader();
    return {
      status: 'ok' as const,
      is_leader: isLeader,
      // Presence is the leader's; a follower has no online list of its own.
      online_clients_count: isLeader ? this.presence.count : 0,
      current_leader: view.leader,
      term: view.term,
      node: this.config.thisNode,
      leader_api: view.leaderApi,
    };
  }
}
