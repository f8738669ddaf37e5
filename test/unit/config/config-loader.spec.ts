import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusterConfig } from '../../../src/config/config-loader';
import { ConfigError } from '../../../src/config/config-error';
import { makeCa, makeLeaf } from '../../support/test-certs';
import { SEED, useConfigFile } from './config-file';

describe('loadClusterConfig', () => {
  const { dir, write, load } = useConfigFile();
  /** Asserts a ConfigError naming the key, with the problem in its one-line message. */
  const expectError = (fn: () => unknown, key: string, problem: RegExp) => {
    let caught: unknown;
    try {
      fn();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const e = caught as ConfigError;
    expect(e.key).toBe(key);
    expect(e.problem).toMatch(problem);
    expect(e.message).toContain(e.file);
    expect(e.message).not.toContain('\n');
  };

  it("reads the seed's file as it is, with defaults for every new key", () => {
    const c = load(SEED);
    expect(c).toMatchObject({
      thisNode: '127.0.0.1:8080',
      peers: ['127.0.0.1:8080', '127.0.0.1:8081', '127.0.0.1:8082'],
      heartbeatIntervalMs: 1000,
      electionTimeoutMinMs: 3000,
      electionTimeoutMaxMs: 5000,
      leaderTermMs: 10000,
      netTimeoutMs: 2000,
      cpuRefreshMs: 500,
      electionRetryMs: 100,
      clientTimeoutMs: 30000,
      apiPort: 3000,
      apiHost: '0.0.0.0',
      apiUrl: 'http://127.0.0.1:3000',
      dataDir: join('data', '127.0.0.1-8080'),
      logLevel: 'info',
      logFormat: 'text',
      drive: {
        sharedDriveId: null,
        registeredUsersFolderId: null,
        credentialsPath: 'credentials/service-account.json',
      },
    });
  });

  it('lets --this-node win over env and file, and env win over the file', () => {
    expect(load(SEED, { THIS_NODE: '127.0.0.1:8081' }).thisNode).toBe('127.0.0.1:8081');
    expect(load(SEED, { THIS_NODE: '127.0.0.1:8081' }, '127.0.0.1:8082').thisNode).toBe(
      '127.0.0.1:8082',
    );
    const c = load(SEED, {
      PEERS: '127.0.0.1:9000, 127.0.0.1:9001',
      THIS_NODE: '127.0.0.1:9001',
      HEARTBEAT_INTERVAL_MS: '50',
      CLIENT_TIMEOUT_MS: '700',
      API_PORT: '4001',
      DATA_DIR: '/tmp/x',
      RUST_LOG: 'debug',
      LOG_FORMAT: 'json',
      SHARED_DRIVE_ID: 'd',
      REGISTERED_USERS_FOLDER_ID: 'f',
      GOOGLE_CREDENTIALS: '/c.json',
    });
    expect(c).toMatchObject({
      peers: ['127.0.0.1:9000', '127.0.0.1:9001'],
      thisNode: '127.0.0.1:9001',
      heartbeatIntervalMs: 50,
      clientTimeoutMs: 700,
      apiPort: 4001,
      apiUrl: 'http://127.0.0.1:4001',
      dataDir: '/tmp/x',
      logLevel: 'debug',
      logFormat: 'json',
      drive: { sharedDriveId: 'd', registeredUsersFolderId: 'f', credentialsPath: '/c.json' },
    });
  });

  it('prefers LOG_LEVEL to RUST_LOG and reads RUST_LOG directive lists', () => {
    expect(load(SEED, { LOG_LEVEL: 'warn', RUST_LOG: 'debug' }).logLevel).toBe('warn');
    expect(load(SEED, { RUST_LOG: 'rollcall=trace,hyper=info' }).logLevel).toBe('trace');
  });

  it('refuses a missing file', () => {
    expect(() => loadClusterConfig({ configPath: join(dir(), 'nope.toml'), env: {} })).toThrow(
      /nope\.toml: \(file\): file not found/,
    );
  });

  it('refuses a file that is not TOML', () => {
    expectError(() => load('this_node = = 3\n[[['), '(file)', /not valid TOML/);
  });

  it('refuses a missing key', () => {
    expectError(() => load(SEED.replace(/^leader_term_ms.*$/m, '')), 'leader_term_ms', /missing/);
    expectError(() => load(SEED.replace(/^peers.*$/m, '')), 'peers', /missing/);
  });

  it('refuses a key of the wrong type', () => {
    expectError(
      () => load(SEED.replace('heartbeat_interval_ms = 1000', 'heartbeat_interval_ms = "1s"')),
      'heartbeat_interval_ms',
      /must be an integer, got the string "1s"/,
    );
    expectError(
      () => load(SEED.replace('net_timeout_ms = 2000', 'net_timeout_ms = 2.5')),
      'net_timeout_ms',
      /must be an integer/,
    );
    expectError(
      () => load(SEED.replace(/^peers.*$/m, 'peers = "127.0.0.1:8080"')),
      'peers',
      /must be an array/,
    );
    expectError(
      () => load(SEED.replace('this_node = "127.0.0.1:8080"', 'this_node = 8080')),
      'this_node',
      /must be a string/,
    );
    expectError(
      () => load(SEED, { CPU_REFRESH_MS: 'fast' }),
      'cpu_refresh_ms (from env CPU_REFRESH_MS)',
      /must be an integer/,
    );
  });

  it('refuses an unknown key, so a typo is not silently ignored', () => {
    expectError(
      () => load(SEED + 'heartbeat_intervall_ms = 5\n'),
      'heartbeat_intervall_ms',
      /unknown key/,
    );
  });

  it('refuses this_node not among peers', () => {
    expectError(
      () => load(SEED, {}, '127.0.0.1:9999'),
      'this_node (from --this-node)',
      /not among peers/,
    );
  });

  it('lets a node that joins (--join or JOIN) be outside peers, with the URL checked', () => {
    const joined = loadClusterConfig({
      configPath: write(SEED),
      env: {},
      thisNode: '127.0.0.1:9999',
      join: 'http://127.0.0.1:3000',
    });
    expect(joined).toMatchObject({ thisNode: '127.0.0.1:9999', join: 'http://127.0.0.1:3000' });
    expect(load(SEED, { JOIN: 'http://127.0.0.1:3001' }, '127.0.0.1:9999').join).toBe(
      'http://127.0.0.1:3001',
    );
    expect(load(SEED).join).toBeNull();
    expectError(() => load(SEED, { JOIN: 'ftp://x' }), 'join (from env JOIN)', /http\(s\) URL/);
  });

  it('refuses duplicate peers', () => {
    expectError(
      () =>
        load(
          SEED.replace(
            /^peers.*$/m,
            'peers = ["127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:8080"]',
          ),
        ),
      'peers',
      /duplicate peer "127.0.0.1:8080"/,
    );
  });

  it.each([
    ['127.0.0.1', /not host:port/],
    ['127.0.0.1:0', /outside 1-65535/],
    ['127.0.0.1:70000', /outside 1-65535/],
    ['bad host:80', /neither an IPv4 address nor a DNS name/],
    ['::1:80', /must be in brackets/],
    ['999.1.1.1:80', /neither an IPv4 address nor a DNS name/],
  ])('refuses the address %s', (addr, problem) => {
    expectError(
      () => load(SEED.replace(/^peers.*$/m, `peers = ["127.0.0.1:8080", "${addr}"]`)),
      'peers[1]',
      problem,
    );
  });

  it('accepts IPv6 and DNS peers', () => {
    const c = load(
      SEED.replace(/^peers.*$/m, 'peers = ["127.0.0.1:8080", "[::1]:8081", "node-3.local:8082"]'),
    );
    expect(c.peers).toEqual(['127.0.0.1:8080', '[::1]:8081', 'node-3.local:8082']);
  });

  it('refuses a min election timeout above the max', () => {
    expectError(
      () => load(SEED.replace('election_timeout_min_ms = 3000', 'election_timeout_min_ms = 6000')),
      'election_timeout_min_ms',
      /6000 is above election_timeout_max_ms 5000/,
    );
  });

  it('refuses a heartbeat interval that is not below the minimum election timeout', () => {
    expectError(
      () => load(SEED.replace('heartbeat_interval_ms = 1000', 'heartbeat_interval_ms = 3000')),
      'heartbeat_interval_ms',
      /3000 must be below election_timeout_min_ms 3000/,
    );
  });

  it.each(['0', '-5'])('refuses a non-positive interval (%s)', (v) => {
    expectError(
      () => load(SEED.replace('election_retry_ms = 100', `election_retry_ms = ${v}`)),
      'election_retry_ms',
      /must be positive/,
    );
  });

  it('refuses a bad API_PORT, LOG_LEVEL and LOG_FORMAT', () => {
    expectError(() => load(SEED, { API_PORT: '99999' }), 'API_PORT', /not a port/);
    expectError(() => load(SEED, { LOG_LEVEL: 'loud' }), 'LOG_LEVEL', /not one of/);
    expectError(() => load(SEED, { LOG_FORMAT: 'xml' }), 'LOG_FORMAT', /not one of text, json/);
  });

  it('picks the HTTP platform from HTTP_ADAPTER, Fastify unless told otherwise', () => {
    expect(load(SEED).httpAdapter).toBe('fastify');
    expect(load(SEED, { HTTP_ADAPTER: 'express' }).httpAdapter).toBe('express');
    expect(load(SEED, { HTTP_ADAPTER: ' Fastify ' }).httpAdapter).toBe('fastify');
    expectError(
      () => load(SEED, { HTTP_ADAPTER: 'koa' }),
      'HTTP_ADAPTER',
      /^"koa" is not one of fastify, express$/,
    );
  });

  it('reads CLUSTER_SECRET or CLUSTER_SECRET_FILE, refusing short secrets and both at once', () => {
    const secret = 'sixteen-or-more-characters';
    expect(load(SEED).clusterSecret).toBeNull();
    const inline = load(SEED, { CLUSTER_SECRET: secret }).clusterSecret;
    const file = join(dir(), 'secret');
    writeFileSync(file, `${secret}\n`);
    const fromFile = load(SEED, { CLUSTER_SECRET_FILE: file }).clusterSecret;
    // The same secret either way: the trailing newline of the file does not count.
    const proof = (s: typeof inline) =>
      s?.derive('hello', Buffer.alloc(32), Buffer.alloc(32), 'a', 'b').toString('hex');
    expect(proof(fromFile)).toBe(proof(inline));
    expect(proof(inline)).toMatch(/^[0-9a-f]{64}$/);
    expectError(() => load(SEED, { CLUSTER_SECRET: 'short' }), 'CLUSTER_SECRET', /at least 16/);
    expectError(
      () => load(SEED, { CLUSTER_SECRET: secret, CLUSTER_SECRET_FILE: file }),
      'CLUSTER_SECRET',
      /either CLUSTER_SECRET or CLUSTER_SECRET_FILE, not both/,
    );
    expectError(
      () => load(SEED, { CLUSTER_SECRET_FILE: join(dir(), 'missing') }),
      'CLUSTER_SECRET_FILE',
      /cannot read .*missing/,
    );
  });

  it('reads a CLUSTER_SECRET_FILE of two secrets (a rotation): signs with the first, accepts both', () => {
    const [newer, older] = ['the new secret of the cluster', 'the old secret of the cluster'];
    const file = join(dir(), 'secrets');
    writeFileSync(file, `${newer}\n${older}\n`);
    const both = load(SEED, { CLUSTER_SECRET_FILE: file }).clusterSecret;
    const one = (s: string) => load(SEED, { CLUSTER_SECRET: s }).clusterSecret;
    const nonce = Buffer.alloc(32);
    const proofs = (s: typeof both) =>
      s?.candidates('hello', nonce, nonce, 'a', 'b').map((c) => c.proof.toString('hex'));
    expect(both?.file).toBe(file);
    expect(both?.derive('hello', nonce, nonce, 'a', 'b')).toEqual(
      one(newer)?.derive('hello', nonce, nonce, 'a', 'b'),
    );
    expect(proofs(both)).toEqual([...(proofs(one(newer)) ?? []), ...(proofs(one(older)) ?? [])]);
    writeFileSync(file, `${newer}\n${older}\na third secret, one too many\n`);
    expectError(
      () => load(SEED, { CLUSTER_SECRET_FILE: file }),
      'CLUSTER_SECRET_FILE',
      /holds 3 secrets; at most 2/,
    );
  });

  it('reads PEER_TLS_* (all three or none) and API_TLS_* (CA optional), loading the files', () => {
    const ca = makeCa(dir(), 'ca');
    const leaf = makeLeaf(dir(), ca, 'node');
    const peer = {
      PEER_TLS_CERT_FILE: leaf.certFile,
      PEER_TLS_KEY_FILE: leaf.keyFile,
      PEER_TLS_CA_FILE: ca.certFile,
    };
    const plain = load(SEED);
    expect({ peer: plain.peerTls, api: plain.apiTls, url: plain.apiUrl }).toEqual({
      peer: null,
      api: null,
      url: 'http://127.0.0.1:3000',
    });
    const c = load(SEED, {
      ...peer,
      API_TLS_CERT_FILE: leaf.certFile,
      API_TLS_KEY_FILE: leaf.keyFile,
    });
    expect(c.peerTls).toEqual({
      certFile: leaf.certFile,
      keyFile: leaf.keyFile,
      caFile: ca.certFile,
    });
    expect(c.apiTls).toEqual({ certFile: leaf.certFile, keyFile: leaf.keyFile, caFile: null });
    // Clients and peers are pointed at the API over HTTPS.
    expect(c.apiUrl).toBe('https://127.0.0.1:3000');
    expectError(
      () => load(SEED, { ...peer, PEER_TLS_CA_FILE: '' }),
      'PEER_TLS_CA_FILE',
      /missing while PEER_TLS_CERT_FILE and PEER_TLS_KEY_FILE are set \(all three or none\)/,
    );
    expectError(
      () => load(SEED, { PEER_TLS_CA_FILE: ca.certFile }),
      'PEER_TLS_CERT_FILE',
      /missing while PEER_TLS_CA_FILE is set/,
    );
    expectError(
      () => load(SEED, { API_TLS_CA_FILE: ca.certFile }),
      'API_TLS_CERT_FILE',
      /both API_TLS_CERT_FILE and API_TLS_KEY_FILE or neither/,
    );
    expectError(
      () => load(SEED, { ...peer, PEER_TLS_KEY_FILE: ca.keyFile }),
      'PEER_TLS_CERT_FILE',
      /key values mismatch/,
    );
    expectError(
      () => load(SEED, { ...peer, PEER_TLS_CA_FILE: join(dir(), 'missing.pem') }),
      'PEER_TLS_CERT_FILE',
      /cannot read .*missing\.pem/,
    );
    writeFileSync(join(dir(), 'empty.pem'), '');
    expectError(
      () => load(SEED, { ...peer, PEER_TLS_CERT_FILE: join(dir(), 'empty.pem') }),
      'PEER_TLS_CERT_FILE',
      /empty\.pem holds no PEM certificate/,
    );
  });

  it('reads ADMIN_TOKEN or ADMIN_TOKEN_FILE, refusing short tokens and both at once', () => {
    const token = 'an-admin-token-of-some-length';
    expect(load(SEED).adminToken).toBeNull();
    expect(load(SEED, { ADMIN_TOKEN: token }).adminToken?.matches(token)).toBe(true);
    const file = join(dir(), 'admin-token');
    writeFileSync(file, `${token}\n`);
    // The trailing newline of the file is not part of the token.
    expect(load(SEED, { ADMIN_TOKEN_FILE: file }).adminToken?.matches(token)).toBe(true);
    expectError(() => load(SEED, { ADMIN_TOKEN: 'short' }), 'ADMIN_TOKEN', /at least 16/);
    writeFileSync(file, 'short\n');
    expectError(() => load(SEED, { ADMIN_TOKEN_FILE: file }), 'ADMIN_TOKEN_FILE', /at least 16/);
    expectError(
      () => load(SEED, { ADMIN_TOKEN: token, ADMIN_TOKEN_FILE: file }),
      'ADMIN_TOKEN',
      /either ADMIN_TOKEN or ADMIN_TOKEN_FILE, not both/,
    );
    expectError(
      () => load(SEED, { ADMIN_TOKEN_FILE: join(dir(), 'missing') }),
      'ADMIN_TOKEN_FILE',
      /cannot read .*missing/,
    );
  });
});

describe('cpu_hysteresis_pct', () => {
  const config = useConfigFile();
  const load = (extra: string) => config.load(SEED + extra);

  it('defaults to 10 points and accepts 0-100', () => {
    expect(load('').cpuHysteresisPct).toBe(10);
    expect(load('cpu_hysteresis_pct = 0\n').cpuHysteresisPct).toBe(0);
    expect(load('cpu_hysteresis_pct = 100\n').cpuHysteresisPct).toBe(100);
  });

  it('refuses values outside 0-100', () => {
    expect(() => load('cpu_hysteresis_pct = 101\n')).toThrow(
      /cpu_hysteresis_pct: must be at most 100, got 101/,
    );
    expect(() => load('cpu_hysteresis_pct = -1\n')).toThrow(
      /cpu_hysteresis_pct: must be at least 0, got -1/,
    );
  });
});

describe('Google Drive settings', () => {
  const config = useConfigFile();
  const load = (extra: string, env: NodeJS.ProcessEnv = {}) => config.load(SEED + extra, env);

  it("defaults to Google's endpoints and a 0.5 s to 60 s backoff", () => {
    expect(load('').drive).toEqual({
      sharedDriveId: null,
      registeredUsersFolderId: null,
      credentialsPath: 'credentials/service-account.json',
      apiRootUrl: 'https://www.googleapis.com/',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      retryBaseMs: 500,
      retryMaxMs: 60000,
    });
  });

  it('points the API and the token request elsewhere, and reads the backoff keys', () => {
    const drive = load('drive_retry_base_ms = 20\ndrive_retry_max_ms = 200\n', {
      GOOGLE_API_ROOT_URL: 'http://127.0.0.1:9999',
      GOOGLE_TOKEN_URL: 'http://127.0.0.1:9999/token',
    }).drive;
    expect(drive).toMatchObject({
      apiRootUrl: 'http://127.0.0.1:9999/',
      tokenUrl: 'http://127.0.0.1:9999/token',
      retryBaseMs: 20,
      retryMaxMs: 200,
    });
  });

  it('refuses URLs that are not http(s) and a base delay above the maximum', () => {
    expect(() => load('', { GOOGLE_API_ROOT_URL: 'nope' })).toThrow(
      /GOOGLE_API_ROOT_URL: "nope" is not a URL/,
    );
    expect(() => load('', { GOOGLE_TOKEN_URL: 'ftp://x/token' })).toThrow(
      /GOOGLE_TOKEN_URL: "ftp:\/\/x\/token" must be an http\(s\) URL/,
    );
    expect(() => load('drive_retry_base_ms = 500\ndrive_retry_max_ms = 100\n')).toThrow(
      /drive_retry_base_ms: 500 is above drive_retry_max_ms 100/,
    );
  });
});
