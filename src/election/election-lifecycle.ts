import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { formatHost } from '../common/address';
import { startNamedInterval, stopNamedInterval } from '../common/named-interval';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { APPEND_ENTRIES_RESPONSE } from './consensus/messages';
import {
  ELECTION_TRANSPORT,
  type ElectionTransport,
  LOAD_SAMPLER,
  type LoadSampler,
} from './election-io';
import { PeerChannel } from './peer-channel';
import { PeerDirectory } from './peer-directory';
import { ReplicatedLog } from './replicated-log';
import { ShutdownHandover } from './shutdown-handover';
import type { Envelope } from './transport/envelope';
import { toMessage } from './wire-message';

/** The SchedulerRegistry name of the interval that hands the core this node's load. */
export const LOAD_REFRESH_INTERVAL = 'election-load-refresh';

/**
 * Starts and stops the election with the application: opens the log, binds the TCP port,
 * routes what peers send (the election's messages to the log, other modules' to PeerChannel),
 * refreshes the load the core compares; on shutdown, hands leadership over, then closes all.
 */
@Injectable()
export class ElectionLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Election');
  private started = false;
  private closed = false;

  /**
   * A refused redial proves the peer's process is gone only when peers are dialled at their
   * real listeners. Behind a proxy or NAT (ELECTION_BIND differs from this_node) a refusal may
   * come from the proxy while the peer lives, so it is not taken as proof.
   */
  private readonly refusalProvesExit: boolean;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(ELECTION_TRANSPORT) private readonly transport: ElectionTransport,
    @Inject(LOAD_SAMPLER) private readonly cpu: LoadSampler,
    private readonly log: ReplicatedLog,
    private readonly peers: PeerDirectory,
    private readonly handover: ShutdownHandover,
    private readonly scheduler: SchedulerRegistry,
    @Optional() private readonly channel?: PeerChannel,
  ) {
    this.refusalProvesExit =
      `${formatHost(config.electionBind.host)}:${config.electionBind.port}` === config.thisNode;
  }

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    const opened = await this.log.open(this.cpu.sample());
    this.started = true;
    this.logger.log(
      `starting in term ${opened.term}${opened.votedFor ? `, voted for ${opened.votedFor}` : ''}`,
    );
    await this.transport.start({
      message: (e) => this.onEnvelope(e),
      unreachable: (peer, refused) => {
        // Only a refusal proves the process is gone; a timeout may be a slow network, and
        // gets no shortcut: the election timeout decides.
        if (refused && this.refusalProvesExit) this.log.peerExited(peer);
      },
      ping: (e) => this.peers.heard(e),
    });
    this.logger.log(
      `Leader election TCP listener bound to ${c.electionBind.host}:${c.electionBind.port} as ${c.thisNode}` +
        (c.peerTls
          ? '; peer TLS: mutual TLS 1.3, peers must hold a certificate of PEER_TLS_CA_FILE naming their address'
          : '') +
        (c.clusterSecret
          ? '; peers must prove CLUSTER_SECRET and every frame is authenticated'
          : c.peerTls
            ? ''
            : '; no CLUSTER_SECRET: any process listed in peers is trusted'),
    );
    startNamedInterval(this.scheduler, LOAD_REFRESH_INTERVAL, c.cpuRefreshMs, () =>
      this.log.setLoad(this.cpu.sample()),
    );
    this.log.flush();
    await this.log.settled;
    const snapshot =
      opened.snapshotIndex === null ? 'no snapshot' : `a snapshot at ${opened.snapshotIndex}`;
    this.logger.log(`log: ${opened.entries} entries after ${snapshot}, commit ${opened.commit}`);
  }

  /** A leader hands over before it goes, so clients see no gap; then the port closes. */
  async onModuleDestroy(): Promise<void> {
    if (!this.started || this.closed) return;
    this.closed = true;
    await this.handover.run();
    this.log.stop();
    stopNamedInterval(this.scheduler, LOAD_REFRESH_INTERVAL);
    await this.transport.stop();
    await this.log.close();
  }

  /** Throws on a malformed frame, which costs its sender the connection. */
  private onEnvelope(e: Envelope): void {
    this.peers.heard(e);
    if (this.channel?.handles(e.type)) {
      if (this.log.running) this.channel.dispatch(e);
      return;
    }
    const msg = toMessage(e);
    if (typeof msg === 'string') throw new Error(msg); // the transport drops the connection
    if (msg.type === APPEND_ENTRIES_RESPONSE) this.peers.answered(msg.from, msg.sentAt);
    this.log.step(msg);
  }
}
