import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState } from './leadership-state';

/**
 * Decides leadership. Until the TCP election lands, a cluster of one is its own leader in
 * term 1 and a node with other peers stays a follower that knows no leader.
 */
@Injectable()
export class ElectionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Election');

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly leadership: LeadershipState,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.peers.length === 1) {
      this.leadership.update({
        role: 'leader',
        term: 1,
        leader: this.config.thisNode,
        leaderApi: this.config.apiUrl,
      });
      this.logger.log(`became leader in term 1 (reason: startup, single-node cluster)`);
    } else {
      this.logger.log(
        `follower with no known leader (reason: startup; ${this.config.peers.length} peers, election not enabled yet)`,
      );
    }
  }
}
