import { Logger, Module } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { NODE_CREDENTIALS, type NodeCredentials } from '../credentials/credentials';
import { CpuSampler } from './cpu-sampler';
import { RaftLogFile } from '../storage/raft-log-file';
import {
  DURABLE_LOG,
  ELECTION_TRANSPORT,
  FATAL_HANDLER,
  type FatalHandler,
  LOAD_SAMPLER,
  HARD_STATE_STORE,
} from './election-io';
import { ClusterViewService } from './cluster-view.service';
import { ElectionLifecycle } from './election-lifecycle';
import { HardStateFile } from './hard-state-file';
import { LeaderTransfer } from './leader-transfer';
import { LeadershipPublisher } from './leadership-publisher';
import { LeadershipState } from './leadership-state';
import { PeerChannel } from './peer-channel';
import { LogStorage } from './log-storage';
import { AutoPromoter } from './auto-promoter';
import { MembershipJoin } from './membership-join';
import { MembershipService } from './membership.service';
import { PeerDirectory } from './peer-directory';
import { ReplicatedLog } from './replicated-log';
import { ShutdownHandover } from './shutdown-handover';
import { TcpTransport } from './transport/tcp-transport';

/** Exit code for a node that stopped itself because going on could break safety. */
const EXIT_FATAL = 1;

@Module({
  providers: [
    LeadershipState,
    LeadershipPublisher,
    PeerDirectory,
    LogStorage,
    ReplicatedLog,
    ClusterViewService,
    ShutdownHandover,
    LeaderTransfer,
    MembershipService,
    MembershipJoin,
    AutoPromoter,
    ElectionLifecycle,
    PeerChannel,
    {
      provide: ELECTION_TRANSPORT,
      inject: [CLUSTER_CONFIG, CLOCK, NODE_CREDENTIALS],
      useFactory: (c: ClusterConfig, clock: Clock, credentials: NodeCredentials) =>
        new TcpTransport({
          self: c.thisNode,
          bind: c.electionBind,
          peers: c.peers,
          api: c.apiUrl,
          netTimeoutMs: c.netTimeoutMs,
          retryMs: c.electionRetryMs,
          keepaliveMs: Math.max(10, Math.min(c.heartbeatIntervalMs, c.netTimeoutMs)),
          random: Math.random,
          secret: credentials.clusterSecret,
          tls: credentials.peerTls,
          clock,
        }),
    },
    {
      provide: HARD_STATE_STORE,
      inject: [CLUSTER_CONFIG],
      useFactory: (c: ClusterConfig) => new HardStateFile(c.dataDir),
    },
    {
      provide: DURABLE_LOG,
      inject: [CLUSTER_CONFIG],
      useFactory: (c: ClusterConfig) => new RaftLogFile(c.dataDir),
    },
    {
      provide: LOAD_SAMPLER,
      inject: [CLUSTER_CONFIG],
      useFactory: (c: ClusterConfig) => new CpuSampler(c.cpuLoadFile),
    },
    {
      provide: FATAL_HANDLER,
      useValue: ((reason, err) => {
        // Fail-stop, as etcd does on a WAL write failure: a vote we cannot keep must not be cast.
        new Logger('Election').error(
          `${reason}: ${(err as Error)?.message ?? String(err)}; stopping`,
        );
        process.exit(EXIT_FATAL);
      }) satisfies FatalHandler,
    },
  ],
  exports: [
    LeadershipState,
    PeerChannel,
    ReplicatedLog,
    PeerDirectory,
    ClusterViewService,
    LeaderTransfer,
    MembershipService,
  ],
})
export class ElectionModule {}
