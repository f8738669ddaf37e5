import { join } from 'node:path';
import { ConfigError } from '../../../src/config/config-error';
import { SEED, useConfigFile } from './config-file';

const MIB = 1024 * 1024;

/**
 * How each source is read (file, environment overlay, environment only, --this-node) and what
 * a bad value there is called: the details config-loader.spec.ts does not reach.
 */
describe('config sources', () => {
  const { dir, load } = useConfigFile();
  /** The whole one-line message after the file name: `key: problem`. */
  const errorOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ConfigError) return `${err.key}: ${err.problem}`;
      throw err;
    }
    throw new Error('no ConfigError');
  };

  /**
   * A bad value is named by the source it came from: a config.toml key overridden by the
   * environment says which variable; an environment-only variable is its own name. API_PORT,
   * LOG_FORMAT and HTTP_ADAPTER are quoted as given, LOG_LEVEL and RUST_LOG as read (lower case).
   */
  it.each<[NodeJS.ProcessEnv, string]>([
    [{ THIS_NODE: '127.0.0.1' }, 'this_node (from env THIS_NODE): "127.0.0.1" is not host:port'],
    [{ PEERS: '127.0.0.1:8080, nope' }, 'peers (from env PEERS)[1]: "nope" is not host:port'],
    [
      { REQUIRE_CLIENT_TOKEN: 'yes' },
      'require_client_token (from env REQUIRE_CLIENT_TOKEN): must be true or false, got the string "yes"',
    ],
    [
      { REGISTER_LIMIT: '-1' },
      'register_limit (from env REGISTER_LIMIT): must be at least 0, got -1',
    ],
    [{ API_PORT: ' 0 ' }, 'API_PORT: " 0 " is not a port in 1-65535'],
    [{ LOG_FORMAT: ' XML' }, 'LOG_FORMAT: " XML" is not one of text, json'],
    [{ HTTP_ADAPTER: 'Koa ' }, 'HTTP_ADAPTER: "Koa " is not one of fastify, express'],
    [{ LOG_LEVEL: ' LOUD ' }, 'LOG_LEVEL: "loud" is not one of error, warn, info, debug, trace'],
    [
      { LOG_LEVEL: 'loud', RUST_LOG: 'debug' },
      'LOG_LEVEL: "loud" is not one of error, warn, info, debug, trace',
    ],
    [{ RUST_LOG: 'LOUD' }, 'RUST_LOG: "loud" names no level among error, warn, info, debug, trace'],
  ])('with %j refuses to start: %s', (env, message) => {
    expect(errorOf(() => load(SEED, env))).toBe(message);
  });

  describe('the environment over config.toml', () => {
    it('takes an empty variable as unset, and trims what it converts', () => {
      expect(load(SEED, { HEARTBEAT_INTERVAL_MS: '' }).heartbeatIntervalMs).toBe(1000);
      expect(load(SEED, { NET_TIMEOUT_MS: ' 250 ' }).netTimeoutMs).toBe(250);
      expect(load(SEED, { REQUIRE_CLIENT_TOKEN: ' TRUE ' }).requireClientToken).toBe(true);
      expect(errorOf(() => load(SEED, { NET_TIMEOUT_MS: ' ' }))).toBe(
        'net_timeout_ms (from env NET_TIMEOUT_MS): must be an integer, got the string " "',
      );
    });

    it('lets --this-node win without reading THIS_NODE', () => {
      expect(load(SEED, { THIS_NODE: 'garbage' }, '127.0.0.1:8081').thisNode).toBe(
        '127.0.0.1:8081',
      );
      expect(errorOf(() => load(SEED, {}, '127.0.0.1'))).toBe(
        'this_node (from --this-node): "127.0.0.1" is not host:port',
      );
    });

    it('names a bad cross-key value by its key, wherever it came from', () => {
      expect(errorOf(() => load(SEED, { ELECTION_TIMEOUT_MIN_MS: '900' }))).toBe(
        'heartbeat_interval_ms: 1000 must be below election_timeout_min_ms 900, or followers time out between heartbeats',
      );
      expect(errorOf(() => load(SEED, { PEERS: '127.0.0.1:9000' }))).toBe(
        'this_node: "127.0.0.1:8080" is not among peers [127.0.0.1:9000]',
      );
    });
  });

  describe('config.toml', () => {
    it('reports a misspelt required key as unknown, not as missing', () => {
      const typo = SEED.replace('heartbeat_interval_ms', 'heartbeat_intervall_ms');
      expect(errorOf(() => load(typo))).toBe('heartbeat_intervall_ms: unknown key');
    });

    it('refuses an environment-only variable written as a key', () => {
      expect(errorOf(() => load(SEED + 'api_port = 3001\n'))).toBe('api_port: unknown key');
    });

    it('reads min_free_disk_mb in MiB, 0 allowed', () => {
      expect(load(SEED).minFreeDiskBytes).toBe(64 * MIB);
      expect(load(SEED + 'min_free_disk_mb = 0\n').minFreeDiskBytes).toBe(0);
      expect(load(SEED, { MIN_FREE_DISK_MB: '2' }).minFreeDiskBytes).toBe(2 * MIB);
    });

    it('defaults every key that has a default', () => {
      expect(load(SEED)).toMatchObject({
        cpuHysteresisPct: 10,
        snapshotEvery: 10000,
        registerLimit: 20,
        registerWindowMs: 10000,
        requireClientToken: false,
        followerHeartbeats: false,
        followerReads: false,
        followerReadMaxLagMs: 2000,
        httpMaxConnectionsPerAddress: 256,
        httpIdleTimeoutMs: 60000,
        cpuLoadFile: null,
        clusterSecret: null,
        httpAdapter: 'fastify',
      });
    });
  });

  describe('follower heartbeats and reads', () => {
    it('reads the three keys from the file and the environment', () => {
      const file =
        'follower_heartbeats = true\nfollower_reads = true\nfollower_read_max_lag_ms = 1500\n';
      expect(load(SEED + file)).toMatchObject({
        followerHeartbeats: true,
        followerReads: true,
        followerReadMaxLagMs: 1500,
      });
      expect(load(SEED, { FOLLOWER_HEARTBEATS: 'true', FOLLOWER_READS: 'true' })).toMatchObject({
        followerHeartbeats: true,
        followerReads: true,
      });
    });

    it('refuses a read lag bound a follower could not keep between two updates from the leader', () => {
      expect(
        errorOf(() => load(SEED + 'follower_reads = true\nfollower_read_max_lag_ms = 1000\n')),
      ).toBe(
        'follower_read_max_lag_ms: 1000 must be above heartbeat_interval_ms 1000 when follower_reads is on, or followers refuse reads between two updates from the leader',
      );
      // Off, the bound is not used and not checked.
      expect(load(SEED + 'follower_read_max_lag_ms = 1000\n').followerReadMaxLagMs).toBe(1000);
    });
  });

  describe('environment-only variables', () => {
    it('binds the election port to this_node unless ELECTION_BIND says otherwise', () => {
      expect(load(SEED).electionBind).toEqual({ host: '127.0.0.1', port: 8080 });
      expect(load(SEED, { ELECTION_BIND: ' 0.0.0.0:9000 ' }).electionBind).toEqual({
        host: '0.0.0.0',
        port: 9000,
      });
      expect(errorOf(() => load(SEED, { ELECTION_BIND: '0.0.0.0' }))).toBe(
        'ELECTION_BIND: "0.0.0.0" is not host:port',
      );
    });

    it('derives API_URL and DATA_DIR from this_node, IPv6 included', () => {
      const v6 = load(SEED.replace(/^peers.*$/m, 'peers = ["[::1]:8080"]'), {}, '[::1]:8080');
      expect(v6.apiUrl).toBe('http://[::1]:3000');
      expect(v6.dataDir).toBe(join('data', '--1-8080'));
      expect(load(SEED, { API_PORT: ' 4000 ' }).apiUrl).toBe('http://127.0.0.1:4000');
    });

    it('takes API_URL without its trailing slashes, and refuses one with a path', () => {
      expect(load(SEED, { API_URL: ' https://rollcall.example:8443// ' }).apiUrl).toBe(
        'https://rollcall.example:8443',
      );
      expect(load(SEED, { API_URL: '/' }).apiUrl).toBe('http://127.0.0.1:3000');
      expect(errorOf(() => load(SEED, { API_URL: 'http://h:1/api' }))).toBe(
        'API_URL: "http://h:1/api" must be an http(s) base URL without a path',
      );
    });

    it('reads RUST_LOG only when LOG_LEVEL is unset', () => {
      expect(load(SEED, { RUST_LOG: 'off' }).logLevel).toBe('error');
      expect(load(SEED, { RUST_LOG: 'hyper=warn,rollcall=debug' }).logLevel).toBe('warn');
      expect(load(SEED, { LOG_LEVEL: 'debug', RUST_LOG: 'loud' }).logLevel).toBe('debug');
    });

    it('trims the text variables and takes blank ones as unset', () => {
      const c = load(SEED, {
        API_HOST: ' 127.0.0.2 ',
        CPU_LOAD_FILE: ' /tmp/load ',
        DATA_DIR: ' ',
        SHARED_DRIVE_ID: ' d ',
      });
      expect(c).toMatchObject({ apiHost: '127.0.0.2', cpuLoadFile: '/tmp/load' });
      expect(c.dataDir).toBe(join('data', '127.0.0.1-8080'));
      expect(c.drive.sharedDriveId).toBe('d');
    });

    it('ends GOOGLE_API_ROOT_URL with exactly one slash', () => {
      expect(load(SEED, { GOOGLE_API_ROOT_URL: 'http://127.0.0.1:9/api//' }).drive.apiRootUrl).toBe(
        'http://127.0.0.1:9/api/',
      );
    });

    it('takes CLUSTER_SECRET as given, spaces and all, and refuses both while the file is unread', () => {
      expect(errorOf(() => load(SEED, { CLUSTER_SECRET: '   ' }))).toBe(
        'CLUSTER_SECRET: must be at least 16 characters',
      );
      expect(load(SEED, { CLUSTER_SECRET: ' '.repeat(16) }).clusterSecret).not.toBeNull();
      expect(
        errorOf(() =>
          load(SEED, { CLUSTER_SECRET: 'short', CLUSTER_SECRET_FILE: join(dir(), 'missing') }),
        ),
      ).toBe('CLUSTER_SECRET: set either CLUSTER_SECRET or CLUSTER_SECRET_FILE, not both');
    });
  });
});
