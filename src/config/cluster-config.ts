import type { HostPort } from '../common/address';
import type { AdminToken } from '../common/admin-token';
import type { ClusterSecret } from '../common/cluster-secret';
import type { TlsFiles } from '../common/tls-material';
import type { LogFormat, LogLevel } from '../common/logging/log-level';

/** The one typed, validated configuration of a node, read once at start. */
export interface ClusterConfig {
  /** The file the settings were read from, for messages. */
  configFile: string;
  /** This node's election address, `host:port`. */
  thisNode: string;
  /** The bootstrap members' election addresses, this node included unless it joins. */
  peers: string[];
  /** --join / JOIN: a member's API URL, asked for the membership when the data dir is empty. */
  join: string | null;
  /** The leader promotes a learner caught up and reachable for 3 s (auto_promote). */
  autoPromote: boolean;
  heartbeatIntervalMs: number;
  electionTimeoutMinMs: number;
  electionTimeoutMaxMs: number;
  leaderTermMs: number;
  netTimeoutMs: number;
  cpuRefreshMs: number;
  electionRetryMs: number;
  /** A client is online while its last heartbeat is younger than this. */
  clientTimeoutMs: number;
  /** A leader hands over only to a follower less loaded by more than this many CPU points. */
  cpuHysteresisPct: number;
  /** Entries applied between two snapshots of the registry (then the log is compacted). */
  snapshotEvery: number;
  /** Below this much free space in the data directory, registrations are refused (503). */
  minFreeDiskBytes: number;
  /** Registrations one address may make per `registerWindowMs`; 0 turns the limit off. */
  registerLimit: number;
  registerWindowMs: number;
  /** Every heartbeat must carry the client's token (`Authorization: Bearer`). */
  requireClientToken: boolean;
  /** Followers answer POST /heartbeat themselves and pass the heartbeats on to the leader. */
  followerHeartbeats: boolean;
  /** Followers answer /discover and /users from their copy while it is recent enough. */
  followerReads: boolean;
  /** How far behind the leader a follower's copy may be for it to serve a read. */
  followerReadMaxLagMs: number;
  /** HTTP connections one client address may hold open. */
  httpMaxConnectionsPerAddress: number;
  /** An HTTP connection silent for this long is closed. */
  httpIdleTimeoutMs: number;
  /** A file whose number, when present, replaces this node's measured CPU load. */
  cpuLoadFile: string | null;
  /** Where the election port listens: this_node's address unless ELECTION_BIND says otherwise. */
  electionBind: HostPort;
  /** Interface the HTTP API binds to. */
  apiHost: string;
  apiPort: number;
  /** Base URL under which other nodes and clients reach this node's HTTP API. */
  apiUrl: string;
  dataDir: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** The HTTP platform under Nest: Fastify by default, Express where a deployment needs it. */
  httpAdapter: 'fastify' | 'express';
  /** CLUSTER_SECRET: peers authenticate each other and every election frame; null when unset. */
  clusterSecret: ClusterSecret | null;
  /** PEER_TLS_*: mutual TLS 1.3 on the election port; null when unset. */
  peerTls: TlsFiles | null;
  /** API_TLS_*: HTTPS on the API (client certificates required when it names a CA); null: HTTP. */
  apiTls: TlsFiles | null;
  /** ADMIN_TOKEN: the bearer token of the admin routes (/cluster/snapshot, ...); null turns them off. */
  adminToken: AdminToken | null;
  drive: DriveSettings;
}

export interface DriveSettings {
  sharedDriveId: string | null;
  registeredUsersFolderId: string | null;
  credentialsPath: string;
  /** Base of every Drive API call, uploads included (GOOGLE_API_ROOT_URL), with a trailing slash. */
  apiRootUrl: string;
  /** Where the OAuth token is requested (GOOGLE_TOKEN_URL). */
  tokenUrl: string;
  /** First retry delay of a failed Drive write; doubles per failure up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const CLUSTER_CONFIG = Symbol('CLUSTER_CONFIG');
