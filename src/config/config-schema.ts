import { LOG_FORMATS } from '../common/logging/log-level';
import {
  adminToken,
  adminTokenFile,
  baseUrl,
  hostPort,
  httpUrl,
  logLevel,
  oneOf,
  port,
  rustLogLevel,
  secret,
  secretFile,
  text,
} from './env-rules';
import { envVar, fileKey, type SettingGroup, type Values } from './setting';
import { tlsFileSettings, tlsFilesProblem } from './tls-settings';
import { address, bool, int, peerAddresses } from './value-rules';

/**
 * Every setting of a node, declared once: its name in config.toml or the environment, the rule
 * its value must pass, its default, and (by its place in this object, which has ClusterConfig's
 * shape) where it lands. Settings are read in this order; CROSS_RULES run after all of them.
 *
 * Why a table of rules and not class-validator: the messages are part of the interface (tests,
 * docs/configuration.md and operators' scripts quote them word for word), each names the source a value came
 * from (`heartbeat_interval_ms (from env HEARTBEAT_INTERVAL_MS)`), and a node stops at the first
 * one. class-validator collects every error of an object under its own wording, knows nothing of
 * sources, and would still need class-transformer to turn the environment's text into numbers,
 * custom validators for addresses, and a mapping of its errors back to keys: more code around it
 * than the rules themselves. A rule here is a plain function from the given value to the value or
 * the problem, typed end to end, so the loader needs no casts.
 *
 * To add a setting, declare it here and add its field to ClusterConfig; document it in the
 * configuration tables (test/unit/config/config-docs.spec.ts checks that they agree).
 */
export const CONFIG_SCHEMA = {
  thisNode: fileKey('this_node', address, '--this-node').required(),
  peers: fileKey('peers', peerAddresses).required(),
  join: fileKey('join', httpUrl, '--join').optional(),
  autoPromote: fileKey('auto_promote', bool).withDefault(false),
  heartbeatIntervalMs: fileKey('heartbeat_interval_ms', int()).required(),
  electionTimeoutMinMs: fileKey('election_timeout_min_ms', int()).required(),
  electionTimeoutMaxMs: fileKey('election_timeout_max_ms', int()).required(),
  leaderTermMs: fileKey('leader_term_ms', int()).required(),
  netTimeoutMs: fileKey('net_timeout_ms', int()).required(),
  cpuRefreshMs: fileKey('cpu_refresh_ms', int()).required(),
  electionRetryMs: fileKey('election_retry_ms', int()).required(),
  clientTimeoutMs: fileKey('client_timeout_ms', int()).withDefault(30_000),
  cpuHysteresisPct: fileKey('cpu_hysteresis_pct', int({ min: 0, max: 100 })).withDefault(10),
  snapshotEvery: fileKey('snapshot_every', int()).withDefault(10_000),
  requireClientToken: fileKey('require_client_token', bool).withDefault(false),
  followerHeartbeats: fileKey('follower_heartbeats', bool).withDefault(false),
  followerReads: fileKey('follower_reads', bool).withDefault(false),
  followerReadMaxLagMs: fileKey('follower_read_max_lag_ms', int()).withDefault(2000),
  httpMaxConnectionsPerAddress: fileKey('http_max_connections_per_address', int()).withDefault(256),
  httpIdleTimeoutMs: fileKey('http_idle_timeout_ms', int()).withDefault(60_000),
  registerLimit: fileKey('register_limit', int({ min: 0 })).withDefault(20),
  registerWindowMs: fileKey('register_window_ms', int()).withDefault(10_000),
  minFreeDiskBytes: fileKey('min_free_disk_mb', int({ min: 0 }))
    .withDefault(64)
    .map((mib) => mib * 1024 * 1024),
  apiPort: envVar('API_PORT', port).withDefault(3000),
  apiHost: envVar('API_HOST', text).withDefault('0.0.0.0'),
  apiUrl: envVar('API_URL', baseUrl).derived(),
  electionBind: envVar('ELECTION_BIND', hostPort).derived(),
  dataDir: envVar('DATA_DIR', text).derived(),
  logLevel: envVar('LOG_LEVEL', logLevel).or(envVar('RUST_LOG', rustLogLevel)).withDefault('info'),
  logFormat: envVar('LOG_FORMAT', oneOf(LOG_FORMATS)).withDefault('text'),
  httpAdapter: envVar('HTTP_ADAPTER', oneOf(['fastify', 'express'])).withDefault('fastify'),
  cpuLoadFile: envVar('CPU_LOAD_FILE', text).optional(),
  clusterSecret: envVar('CLUSTER_SECRET', secret)
    .notWith(envVar('CLUSTER_SECRET_FILE', secretFile))
    .optional(),
  peerTls: tlsFileSettings('PEER_TLS'),
  apiTls: tlsFileSettings('API_TLS'),
  adminToken: envVar('ADMIN_TOKEN', adminToken)
    .notWith(envVar('ADMIN_TOKEN_FILE', adminTokenFile))
    .optional(),
  drive: {
    sharedDriveId: envVar('SHARED_DRIVE_ID', text).optional(),
    registeredUsersFolderId: envVar('REGISTERED_USERS_FOLDER_ID', text).optional(),
    credentialsPath: envVar('GOOGLE_CREDENTIALS', text).withDefault(
      'credentials/service-account.json',
    ),
    apiRootUrl: envVar('GOOGLE_API_ROOT_URL', httpUrl)
      .withDefault('https://www.googleapis.com/')
      .map((url) => url.replace(/\/*$/, '/')),
    tokenUrl: envVar('GOOGLE_TOKEN_URL', httpUrl).withDefault(
      'https://oauth2.googleapis.com/token',
    ),
    retryBaseMs: fileKey('drive_retry_base_ms', int()).withDefault(500),
    retryMaxMs: fileKey('drive_retry_max_ms', int()).withDefault(60_000),
  },
} satisfies SettingGroup;

/** The values CONFIG_SCHEMA reads, before toClusterConfig fills in the derived ones. */
export type Settings = Values<typeof CONFIG_SCHEMA>;

/** A rule across settings: the key to blame and what is wrong, or null when it holds. */
export type CrossRule = (
  s: Settings,
  labelOf: (key: string) => string,
) => { key: string; problem: string } | null;

export const CROSS_RULES: readonly CrossRule[] = [
  // A node joining a running cluster learns the members from it: it need not be in peers.
  (s, labelOf) =>
    s.peers.includes(s.thisNode.text) || s.join !== null
      ? null
      : {
          key: labelOf('this_node'),
          problem: `"${s.thisNode.text}" is not among peers [${s.peers.join(', ')}]`,
        },
  ({ drive: { retryBaseMs: base, retryMaxMs: max } }) =>
    base <= max
      ? null
      : { key: 'drive_retry_base_ms', problem: `${base} is above drive_retry_max_ms ${max}` },
  (s) =>
    s.heartbeatIntervalMs < s.electionTimeoutMinMs
      ? null
      : {
          key: 'heartbeat_interval_ms',
          problem: `${s.heartbeatIntervalMs} must be below election_timeout_min_ms ${s.electionTimeoutMinMs}, or followers time out between heartbeats`,
        },
  // The leader's stream reaches a follower once per heartbeat interval: a bound below that would
  // turn follower reads off between two deltas, on and off all the time.
  (s) =>
    !s.followerReads || s.followerReadMaxLagMs > s.heartbeatIntervalMs
      ? null
      : {
          key: 'follower_read_max_lag_ms',
          problem: `${s.followerReadMaxLagMs} must be above heartbeat_interval_ms ${s.heartbeatIntervalMs} when follower_reads is on, or followers refuse reads between two updates from the leader`,
        },
  (s) =>
    s.electionTimeoutMinMs <= s.electionTimeoutMaxMs
      ? null
      : {
          key: 'election_timeout_min_ms',
          problem: `${s.electionTimeoutMinMs} is above election_timeout_max_ms ${s.electionTimeoutMaxMs}`,
        },
  (s) => tlsFilesProblem('PEER_TLS', s.peerTls, true),
  (s) => tlsFilesProblem('API_TLS', s.apiTls, false),
];
