import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { formatHost, type HostPort, isHostPortError, parseHostPort } from '../common/address';
import { ClusterSecret } from '../common/cluster-secret';
import {
  isLogLevel,
  LOG_FORMATS,
  type LogFormat,
  type LogLevel,
} from '../common/logging/log-level';
import type { ClusterConfig } from './cluster-config';
import { ConfigError } from './config-error';

export interface ConfigSources {
  /** Path of the TOML file (`--config`). */
  configPath: string;
  /** `--this-node`, which wins over the file and the environment. */
  thisNode?: string;
  env: NodeJS.ProcessEnv;
}

/** The seed's timing keys, all required positive integers, with their defaults for new keys. */
const SEED_TIMINGS = [
  'heartbeat_interval_ms',
  'election_timeout_min_ms',
  'election_timeout_max_ms',
  'leader_term_ms',
  'net_timeout_ms',
  'cpu_refresh_ms',
  'election_retry_ms',
] as const;
const NEW_TIMINGS = { client_timeout_ms: 30000 } as const;
const CPU_HYSTERESIS_DEFAULT = 10;
const SNAPSHOT_EVERY_DEFAULT = 10000;
const DRIVE_RETRY_BASE_DEFAULT = 500;
const MIN_FREE_DISK_MB_DEFAULT = 64;
const REGISTER_LIMIT_DEFAULT = 20;
const HTTP_MAX_PER_ADDRESS_DEFAULT = 256;
const HTTP_IDLE_TIMEOUT_DEFAULT = 60_000;
const REGISTER_WINDOW_DEFAULT = 10_000;
const DRIVE_RETRY_MAX_DEFAULT = 60_000;
export const GOOGLE_API_ROOT_DEFAULT = 'https://www.googleapis.com/';
export const GOOGLE_TOKEN_URL_DEFAULT = 'https://oauth2.googleapis.com/token';
const KNOWN_KEYS = new Set<string>([
  'this_node',
  'peers',
  'cpu_hysteresis_pct',
  'snapshot_every',
  'drive_retry_base_ms',
  'min_free_disk_mb',
  'register_limit',
  'require_client_token',
  'http_max_connections_per_address',
  'http_idle_timeout_ms',
  'register_window_ms',
  'drive_retry_max_ms',
  ...SEED_TIMINGS,
  ...Object.keys(NEW_TIMINGS),
]);

type Raw = Record<string, unknown>;

/**
 * Reads `config.toml`, overlays the environment (each key in upper case) and `--this-node`,
 * and validates everything. Throws a ConfigError naming the file, the key and the problem.
 */
export function loadClusterConfig(src: ConfigSources): ClusterConfig {
  const file = src.configPath;
  const raw = readToml(file);
  const fail = (key: string, problem: string): never => {
    throw new ConfigError(file, key, problem);
  };
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) fail(key, 'unknown key');
  }

  const envValue = (key: string): string | undefined => {
    const v = src.env[key.toUpperCase()];
    return v === undefined || v === '' ? undefined : v;
  };
  /** Where a key's value came from, so the message can say which one is wrong. */
  const label = (key: string, fromEnv: boolean): string =>
    fromEnv ? `${key} (from env ${key.toUpperCase()})` : key;

  // this_node: --this-node > env > file.
  let thisNode: unknown = raw.this_node;
  let thisNodeKey = 'this_node';
  if (src.thisNode !== undefined) {
    thisNode = src.thisNode;
    thisNodeKey = 'this_node (from --this-node)';
  } else if (envValue('this_node') !== undefined) {
    thisNode = envValue('this_node');
    thisNodeKey = label('this_node', true);
  }
  if (thisNode === undefined) fail('this_node', 'missing');
  if (typeof thisNode !== 'string')
    fail(thisNodeKey, `must be a string "host:port", got ${typeOf(thisNode)}`);
  const thisAddr = parseHostPort(thisNode as string);
  if (isHostPortError(thisAddr)) fail(thisNodeKey, thisAddr.error);

  let peers: unknown = raw.peers;
  let peersKey = 'peers';
  const envPeers = envValue('peers');
  if (envPeers !== undefined) {
    peers = envPeers.split(',').map((p) => p.trim());
    peersKey = label('peers', true);
  }
  if (peers === undefined) fail('peers', 'missing');
  if (!Array.isArray(peers))
    fail(peersKey, `must be an array of "host:port" strings, got ${typeOf(peers)}`);
  const peerList = peers as unknown[];
  if (peerList.length === 0) fail(peersKey, 'must list at least this node');
  const seen = new Set<string>();
  for (const [i, p] of peerList.entries()) {
    if (typeof p !== 'string')
      fail(`${peersKey}[${i}]`, `must be a string "host:port", got ${typeOf(p)}`);
    const parsed = parseHostPort(p as string);
    if (isHostPortError(parsed)) fail(`${peersKey}[${i}]`, parsed.error);
    if (seen.has(p as string)) fail(peersKey, `duplicate peer "${p as string}"`);
    seen.add(p as string);
  }
  if (!seen.has(thisNode as string)) {
    fail(thisNodeKey, `"${thisNode as string}" is not among peers [${[...seen].join(', ')}]`);
  }

  const timings: Record<string, number> = {};
  const readInt = (
    key: string,
    fallback?: number,
    min = 1,
    max = Number.MAX_SAFE_INTEGER,
  ): number => {
    const fromEnv = envValue(key);
    let v: unknown = raw[key];
    if (fromEnv !== undefined) v = /^-?\d+$/.test(fromEnv.trim()) ? Number(fromEnv) : fromEnv;
    if (v === undefined) {
      if (fallback === undefined) fail(key, 'missing');
      return fallback as number;
    }
    const name = label(key, fromEnv !== undefined);
    if (typeof v === 'bigint') v = Number(v);
    if (typeof v !== 'number' || !Number.isInteger(v))
      fail(name, `must be an integer, got ${typeOf(v)}`);
    if ((v as number) < min)
      fail(
        name,
        min === 1
          ? `must be positive, got ${v as number}`
          : `must be at least ${min}, got ${v as number}`,
      );
    if ((v as number) > max) fail(name, `must be at most ${max}, got ${v as number}`);
    return v as number;
  };
  for (const key of SEED_TIMINGS) timings[key] = readInt(key);
  for (const [key, def] of Object.entries(NEW_TIMINGS)) timings[key] = readInt(key, def);
  const cpuHysteresisPct = readInt('cpu_hysteresis_pct', CPU_HYSTERESIS_DEFAULT, 0, 100);
  const snapshotEvery = readInt('snapshot_every', SNAPSHOT_EVERY_DEFAULT);
  const readBool = (key: string, fallback: boolean): boolean => {
    const fromEnv = envValue(key);
    const v: unknown = fromEnv !== undefined ? fromEnv.trim().toLowerCase() : raw[key];
    if (v === undefined) return fallback;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    return fail(label(key, fromEnv !== undefined), `must be true or false, got ${typeOf(v)}`);
  };
  const requireClientToken = readBool('require_client_token', false);
  const httpMaxConnectionsPerAddress = readInt(
    'http_max_connections_per_address',
    HTTP_MAX_PER_ADDRESS_DEFAULT,
  );
  const httpIdleTimeoutMs = readInt('http_idle_timeout_ms', HTTP_IDLE_TIMEOUT_DEFAULT);
  const registerLimit = readInt('register_limit', REGISTER_LIMIT_DEFAULT, 0);
  const registerWindowMs = readInt('register_window_ms', REGISTER_WINDOW_DEFAULT);
  const minFreeDiskMb = readInt('min_free_disk_mb', MIN_FREE_DISK_MB_DEFAULT, 0);
  const driveRetryBaseMs = readInt('drive_retry_base_ms', DRIVE_RETRY_BASE_DEFAULT);
  const driveRetryMaxMs = readInt('drive_retry_max_ms', DRIVE_RETRY_MAX_DEFAULT);
  if (driveRetryBaseMs > driveRetryMaxMs) {
    fail(
      'drive_retry_base_ms',
      `${driveRetryBaseMs} is above drive_retry_max_ms ${driveRetryMaxMs}`,
    );
  }
  if (timings.heartbeat_interval_ms >= timings.election_timeout_min_ms) {
    fail(
      'heartbeat_interval_ms',
      `${timings.heartbeat_interval_ms} must be below election_timeout_min_ms ${timings.election_timeout_min_ms}, or followers time out between heartbeats`,
    );
  }
  if (timings.election_timeout_min_ms > timings.election_timeout_max_ms) {
    fail(
      'election_timeout_min_ms',
      `${timings.election_timeout_min_ms} is above election_timeout_max_ms ${timings.election_timeout_max_ms}`,
    );
  }

  const apiPort = readPort(file, src.env.API_PORT);
  const apiHost = src.env.API_HOST?.trim() || '0.0.0.0';
  // The election port binds this_node unless told otherwise, e.g. behind a proxy or NAT.
  const electionBind = src.env.ELECTION_BIND?.trim() || (thisNode as string);
  const bind = parseHostPort(electionBind);
  if (isHostPortError(bind)) fail('ELECTION_BIND', bind.error);
  const apiUrl =
    src.env.API_URL?.trim().replace(/\/+$/, '') ||
    `http://${formatHost((thisAddr as { host: string }).host)}:${apiPort}`;
  if (!/^https?:\/\/[^/]+$/.test(apiUrl)) {
    fail('API_URL', `"${apiUrl}" must be an http(s) base URL without a path`);
  }

  return {
    configFile: file,
    thisNode: thisNode as string,
    peers: peerList as string[],
    heartbeatIntervalMs: timings.heartbeat_interval_ms,
    electionTimeoutMinMs: timings.election_timeout_min_ms,
    electionTimeoutMaxMs: timings.election_timeout_max_ms,
    leaderTermMs: timings.leader_term_ms,
    netTimeoutMs: timings.net_timeout_ms,
    cpuRefreshMs: timings.cpu_refresh_ms,
    electionRetryMs: timings.election_retry_ms,
    clientTimeoutMs: timings.client_timeout_ms,
    cpuHysteresisPct,
    snapshotEvery,
    minFreeDiskBytes: minFreeDiskMb * 1024 * 1024,
    registerLimit,
    registerWindowMs,
    requireClientToken,
    httpMaxConnectionsPerAddress,
    httpIdleTimeoutMs,
    cpuLoadFile: src.env.CPU_LOAD_FILE?.trim() || null,
    apiHost,
    electionBind: bind as HostPort,
    apiPort,
    apiUrl,
    dataDir:
      src.env.DATA_DIR?.trim() ||
      join(
        'data',
        (thisNode as string).replace(/[:[\]]/g, (c) => (c === ':' ? '-' : '')),
      ),
    logLevel: readLogLevel(file, src.env),
    logFormat: readLogFormat(file, src.env.LOG_FORMAT),
    httpAdapter: readHttpAdapter(file, src.env.HTTP_ADAPTER),
    clusterSecret: readClusterSecret(file, src.env),
    drive: {
      sharedDriveId: src.env.SHARED_DRIVE_ID?.trim() || null,
      registeredUsersFolderId: src.env.REGISTERED_USERS_FOLDER_ID?.trim() || null,
      credentialsPath: src.env.GOOGLE_CREDENTIALS?.trim() || 'credentials/service-account.json',
      apiRootUrl: readUrl(
        file,
        'GOOGLE_API_ROOT_URL',
        src.env.GOOGLE_API_ROOT_URL,
        GOOGLE_API_ROOT_DEFAULT,
      ).replace(/\/*$/, '/'),
      tokenUrl: readUrl(
        file,
        'GOOGLE_TOKEN_URL',
        src.env.GOOGLE_TOKEN_URL,
        GOOGLE_TOKEN_URL_DEFAULT,
      ),
      retryBaseMs: driveRetryBaseMs,
      retryMaxMs: driveRetryMaxMs,
    },
  };
}

function readToml(file: string): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      file,
      '(file)',
      code === 'ENOENT' ? 'file not found' : `cannot read: ${code ?? String(err)}`,
    );
  }
  try {
    return parseToml(text);
  } catch (err) {
    const first = (err as Error).message.split('\n')[0];
    throw new ConfigError(file, '(file)', `not valid TOML: ${first}`);
  }
}

function readUrl(file: string, key: string, value: string | undefined, fallback: string): string {
  const v = value?.trim();
  if (!v) return fallback;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(file, key, `"${v}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(file, key, `"${v}" must be an http(s) URL`);
  }
  return v;
}

function readPort(file: string, value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 3000;
  const v = value.trim();
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) {
    throw new ConfigError(file, 'API_PORT', `"${value}" is not a port in 1-65535`);
  }
  return Number(v);
}

function readLogLevel(file: string, env: NodeJS.ProcessEnv): LogLevel {
  const direct = env.LOG_LEVEL?.trim().toLowerCase();
  if (direct) {
    if (!isLogLevel(direct))
      throw new ConfigError(
        file,
        'LOG_LEVEL',
        `"${direct}" is not one of error, warn, info, debug, trace`,
      );
    return direct;
  }
  const rust = env.RUST_LOG?.trim().toLowerCase();
  if (!rust) return 'info';
  // RUST_LOG may be `debug` or a directive list like `rollcall=debug,hyper=info`: a bare level
  // is the default for everything, else the first directive's level is the best reading of it.
  const parts = rust.split(',').map((p) => p.trim());
  const bare = parts.find((p) => !p.includes('='));
  const level = bare ?? parts[0].split('=')[1] ?? '';
  if (level === 'off') return 'error';
  if (!isLogLevel(level))
    throw new ConfigError(
      file,
      'RUST_LOG',
      `"${rust}" names no level among error, warn, info, debug, trace`,
    );
  return level;
}

function readLogFormat(file: string, value: string | undefined): LogFormat {
  const v = value?.trim().toLowerCase();
  if (!v) return 'text';
  if (!(LOG_FORMATS as readonly string[]).includes(v)) {
    throw new ConfigError(file, 'LOG_FORMAT', `"${value}" is not one of text, json`);
  }
  return v as LogFormat;
}

const HTTP_ADAPTERS = ['fastify', 'express'] as const;

/** CLUSTER_SECRET, or the file CLUSTER_SECRET_FILE names (so it stays out of the environment). */
function readClusterSecret(file: string, env: NodeJS.ProcessEnv): ClusterSecret | null {
  const inline = env.CLUSTER_SECRET;
  const path = env.CLUSTER_SECRET_FILE?.trim();
  if (inline !== undefined && inline !== '' && path) {
    throw new ConfigError(
      file,
      'CLUSTER_SECRET',
      'set either CLUSTER_SECRET or CLUSTER_SECRET_FILE, not both',
    );
  }
  let secret = inline;
  let key = 'CLUSTER_SECRET';
  if (path) {
    key = 'CLUSTER_SECRET_FILE';
    try {
      secret = readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(file, key, `cannot read ${path}: ${(err as Error).message}`);
    }
  }
  if (secret === undefined || secret === '') return null;
  try {
    return new ClusterSecret(secret);
  } catch (err) {
    throw new ConfigError(file, key, (err as Error).message);
  }
}

function readHttpAdapter(file: string, value: string | undefined): ClusterConfig['httpAdapter'] {
  const v = value?.trim().toLowerCase();
  if (!v) return 'fastify';
  if (!(HTTP_ADAPTERS as readonly string[]).includes(v)) {
    throw new ConfigError(file, 'HTTP_ADAPTER', `"${value}" is not one of fastify, express`);
  }
  return v as ClusterConfig['httpAdapter'];
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string "${v}"`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
    return `${typeof v} ${v}`;
  }
  return typeof v === 'object' ? 'a table' : typeof v;
}
