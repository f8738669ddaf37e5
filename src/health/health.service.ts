import { Inject, Injectable } from '@nestjs/common';
import { PresenceService } from '../clients/presence.service';
import { RegistryService } from '../clients/registry.service';
import { MembershipService } from '../election/membership.service';
import { ReplicatedLog } from '../election/replicated-log';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { DriveSyncService } from '../drive/drive-sync.service';
import { DiskHealth } from '../storage/disk-health';
import { LeadershipState } from '../election/leadership-state';

@Injectable()
export class HealthService {
  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly leadership: LeadershipState,
    private readonly presence: PresenceService,
    private readonly registry: RegistryService,
    private readonly log: ReplicatedLog,
    private readonly membership: MembershipService,
    private readonly drive: DriveSyncService,
    private readonly disk: DiskHealth,
  ) {}

  health() {
    const view = this.leadership.current;
    return {
      status: 'ok' as const,
      is_leader: this.leadership.canServeAsLeader(),
      // On a follower: its shadow of the leader's list, as last synced.
      online_clients_count: this.presence.count,
      current_leader: view.leader,
      term: view.term,
      node: this.config.thisNode,
      leader_api: view.leaderApi,
      registered_count: this.registry.count,
      log: this.log.logPosition(),
      membership: this.membership.own(),
      drive: this.drive.status(),
      disk: this.disk.status,
      // Whether, never with what: file names and secrets stay off every answer.
      peer_tls: this.config.peerTls !== null,
      api_tls: this.config.apiTls !== null,
    };
  }
}
