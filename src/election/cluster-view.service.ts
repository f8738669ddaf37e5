import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { buildClusterView, type ClusterView, type StatusForView } from './cluster-view';
import {
  ELECTION_TRANSPORT,
  type ElectionTransport,
  LOAD_SAMPLER,
  type LoadSampler,
} from './election-io';
import { PeerDirectory } from './peer-directory';
import { ReplicatedLog } from './replicated-log';

/**
 * The cluster as this node knows it, for GET /cluster: its own row from the core, peers from
 * the core's peer table and what the transport last heard, so a follower sees its fellow
 * followers through their keepalives, not only the leader.
 */
@Injectable()
export class ClusterViewService {
  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ELECTION_TRANSPORT) private readonly transport: ElectionTransport,
    @Inject(LOAD_SAMPLER) private readonly cpu: LoadSampler,
    private readonly log: ReplicatedLog,
    private readonly peers: PeerDirectory,
  ) {}

  clusterView(): ClusterView {
    const c = this.config;
    const now = this.clock.monotonicMs();
    const self = { node: c.thisNode, api: c.apiUrl };
    const status = this.log.status(now) ?? this.statusBeforeStart();
    return buildClusterView(
      status,
      self,
      {
        api: (peer) => this.peers.apiOf(peer),
        heardAt: (peer) => this.peers.heardAt(peer),
        connected: (peer) => this.transport.isConnected?.(peer),
        // The transport's own limit: it drops an inbound link silent for longer.
        silenceLimitMs: 3 * c.heartbeatIntervalMs + c.netTimeoutMs,
      },
      now,
    );
  }

  /** What GET /cluster shows before the core exists: this node's load, and peers unheard. */
  private statusBeforeStart(): StatusForView {
    const c = this.config;
    const load = this.cpu.sample();
    return {
      role: 'follower',
      term: 0,
      leader: null,
      cpu: load.machine,
      background: load.background,
      peers: c.peers
        .filter((p) => p !== c.thisNode)
        .sort()
        .map((id) => ({
          id,
          cpu: null,
          background: null,
          lastContact: null,
          unreachableSince: null,
        })),
    };
  }
}
