import { Inject, Injectable } from '@nestjs/common';
import { HeartbeatRates } from '../clients/heartbeat-rates';
import { PresenceService } from '../clients/presence.service';
import { RegistryService } from '../clients/registry.service';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { DriveSyncService } from '../drive/drive-sync.service';
import { ClusterViewService } from '../election/cluster-view.service';

/** GET /cluster: every member as this node sees it, on any node, leader or not. */
@Injectable()
export class ClusterService {
  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly members: ClusterViewService,
    private readonly registry: RegistryService,
    private readonly presence: PresenceService,
    private readonly drive: DriveSyncService,
    private readonly rates: HeartbeatRates,
  ) {}

  view() {
    const { nodes, leader, term } = this.members.clusterView();
    return {
      nodes: nodes.map((n) => ({ ...n, heartbeats_per_s: this.rates.of(n.node) })),
      leader,
      term,
      // Every node applies the log, so its count is the cluster's as far as it has applied.
      registered_count: this.registry.count,
      // On a follower: its copy of the leader's list, as last synced.
      online_count: this.presence.count,
      drive: this.drive.status(),
      peer_tls: this.config.peerTls !== null,
      api_tls: this.config.apiTls !== null,
    };
  }
}
