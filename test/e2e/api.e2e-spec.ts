import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { App } from 'supertest/types';
import { loadClusterConfig } from '../../src/config/config-loader';
import { TcpTransport } from '../../src/election/transport/tcp-transport';
import { createApp } from '../../src/platform/create-app';
import { FakeClock } from '../support/fake-clock';
import { emptyAppendEntries } from '../support/empty-append-entries';
import { freePorts } from '../support/free-port';
import { httpAdapterEnv } from '../support/http-adapter';
import { waitFor } from '../support/poll';
import { writeClusterConfig } from '../support/node-process';
import { makeTempDir } from '../support/temp-dir';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('HTTP API on a single-node cluster', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let app: INestApplication;
  let http: App;
  let clock: FakeClock;

  beforeEach(async () => {
    tmp = makeTempDir();
    const [electionPort] = await freePorts(1);
    const configPath = writeClusterConfig(tmp.dir, { peers: [`127.0.0.1:${electionPort}`] });
    const config = loadClusterConfig({
      configPath,
      env: {
        DATA_DIR: `${tmp.dir}/data`,
        API_PORT: '3100',
        CLIENT_TIMEOUT_MS: '30000',
        ...httpAdapterEnv(),
      },
    });
    clock = new FakeClock();
    app = await createApp(config, false, clock);
    // Listening, as in production: Fastify serves only once it is ready, which listen awaits.
    await app.listen(0, '127.0.0.1');
    http = app.getHttpServer() as App;
    // A cluster of one elects itself at its first tick.
    await waitFor(
      'the node to lead',
      async () => (await request(http).get('/')).body.is_leader === true,
    );
  });

  afterEach(async () => {
    await app.close();
    tmp.cleanup();
  });

  const register = (username: string, addr = '192.168.1.10:9000') =>
    request(http).post('/register').send({ username, addr });

  /** A POST of `body` as written, announced as JSON. */
  const postJson = (path: string, body: string) =>
    request(http).post(path).set('Content-Type', 'application/json').send(body);

  /** `body` is refused by the error contract: `status`, a JSON `success: false`, and why. */
  const expectRefused = async (path: string, body: string, status: number, message: RegExp) => {
    const res = await postJson(path, body).expect(status).expect('Content-Type', /json/);
    expect(res.body.success).toBe(false);
    expect(res.body.message).toMatch(message);
  };

  it('runs on the HTTP platform this project asks for', () => {
    expect(app.getHttpAdapter().getType()).toBe(process.env.HTTP_ADAPTER ?? 'fastify');
  });

  it('reports health with the leader, term and leader API', async () => {
    const res = await request(http).get('/').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({
      status: 'ok',
      is_leader: true,
      peer_tls: false,
      api_tls: false,
      online_clients_count: 0,
      current_leader: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      term: 1,
      node: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      leader_api: 'http://127.0.0.1:3100',
      registered_count: 0,
      // The leader's no-op of its term, committed and applied.
      log: { last_index: 1, commit_index: 1, applied_index: 1, commit_lag: 0 },
      drive: { enabled: false, pending_writes: 0, last_error: null, last_success_at: null },
      disk: { writable: true, free_bytes: expect.any(Number) as unknown, problem: null },
      // config.toml's peers, as no membership change has been made.
      membership: { role: 'voter', config_index: 0 },
    });
  });

  it('registers a client once and answers 409 for a taken name', async () => {
    const res = await register('alice').expect(200);
    expect(res.body).toEqual({
      success: true,
      message: "User 'alice' registered successfully at 192.168.1.10:9000",
      user_id: expect.stringMatching(UUID_V4),
      // 256 random bits, base64url.
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const again = await register('alice', '10.0.0.1:1').expect(409);
    expect(again.body).toEqual({
      success: false,
      message: "Username 'alice' is already registered",
    });
    const users = await request(http).get('/users').expect(200);
    expect(users.body.count).toBe(1);
    // Leader-served answers name their term; the health route is not one of them.
    const health = await request(http).get('/').expect(200);
    expect(users.headers['rollcall-term']).toBe(String(health.body.term));
    expect(health.headers['rollcall-term']).toBeUndefined();
    expect(users.body.users[0]).toEqual({
      user_id: res.body.user_id,
      username: 'alice',
      addr: '192.168.1.10:9000',
      registered_at: new Date(clock.wallMs()).toISOString(),
    });
  });

  it('lets exactly one of two racing registrations of a name through', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => register('racer')));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    expect((await request(http).get('/users')).body.count).toBe(1);
  });

  it('accepts heartbeats, lists who is online, and follows a client that moved', async () => {
    await register('alice');
    const bobToken = (await register('bob', '192.168.1.11:9001')).body.token as string;
    const hb = await request(http).post('/heartbeat').send({ username: 'alice' }).expect(200);
    expect(hb.body).toEqual({
      success: true,
      message: "Heartbeat accepted for 'alice' at 192.168.1.10:9000",
    });
    clock.advance(250);
    await request(http)
      .post('/heartbeat')
      .set('Authorization', `Bearer ${bobToken}`)
      .send({ username: 'bob', addr: '10.9.9.9:7000' })
      .expect(200);
    clock.advance(50);

    const res = await request(http)
      .get('/discover')
      .expect(200)
      .expect('Content-Type', 'application/json; charset=utf-8');
    expect(res.body).toEqual({
      online_clients: [
        {
          username: 'alice',
          addr: '192.168.1.10:9000',
          last_seen: new Date(clock.wallMs() - 300).toISOString(),
          last_seen_ms_ago: 300,
        },
        {
          username: 'bob',
          addr: '10.9.9.9:7000',
          last_seen: new Date(clock.wallMs() - 50).toISOString(),
          last_seen_ms_ago: 50,
        },
      ],
      count: 2,
      is_leader: true,
    });
    // The registration keeps its own address.
    const users = await request(http).get('/users');
    expect(users.body.users.find((u: { username: string }) => u.username === 'bob').addr).toBe(
      '192.168.1.11:9001',
    );
    expect((await request(http).get('/')).body.online_clients_count).toBe(2);
  });

  it("lets only the client's token move it, and never shows a token", async () => {
    const reg = await register('carol', '10.0.0.5:5000').expect(200);
    const token = reg.body.token as string;
    const other = (await register('dave', '10.0.0.6:6000').expect(200)).body.token as string;
    const beat = (addr?: string, auth?: string) => {
      const req = request(http).post('/heartbeat');
      if (auth !== undefined) void req.set('Authorization', auth);
      return req.send(addr ? { username: 'carol', addr } : { username: 'carol' });
    };
    // No token, same address: as in the seed.
    await beat().expect(200);
    await beat('10.0.0.5:5000').expect(200);
    // Moving needs the token.
    const moved = await beat('10.6.6.6:1').expect(401);
    expect(moved.headers['www-authenticate']).toBe('Bearer');
    expect(moved.body).toEqual({
      success: false,
      message: "Moving 'carol' to a different addr needs its token (Authorization: Bearer <token>)",
    });
    expect((await beat(undefined, `Bearer ${other}`).expect(401)).body.message).toBe(
      "The token is not 'carol's",
    );
    expect((await beat(undefined, 'Basic abc').expect(401)).body.message).toBe(
      'Authorization must be "Bearer <token from /register>"',
    );
    await beat('10.6.6.6:1', `Bearer ${token}`).expect(200);
    const online = await request(http).get('/discover').expect(200);
    expect(
      online.body.online_clients.find((c: { username: string }) => c.username === 'carol').addr,
    ).toBe('10.6.6.6:1');
    // Tokens appear nowhere but in the one answer to /register.
    for (const path of ['/users', '/discover', '/']) {
      const text = (await request(http).get(path)).text;
      expect(text).not.toContain(token);
      expect(text).not.toContain('token');
    }
  });

  it('drops a client from /discover once its heartbeat is 30 s old', async () => {
    await register('alice');
    await request(http).post('/heartbeat').send({ username: 'alice' }).expect(200);
    clock.advance(29_999);
    expect((await request(http).get('/discover')).body.count).toBe(1);
    clock.advance(1);
    expect((await request(http).get('/discover')).body).toEqual({
      online_clients: [],
      count: 0,
      is_leader: true,
    });
  });

  it('routes as Express does: a trailing slash and the case of the path do not matter', async () => {
    for (const path of ['/users/', '/USERS']) {
      expect((await request(http).get(path).expect(200)).body).toEqual({ users: [], count: 0 });
    }
  });

  it('answers 404 to a heartbeat from an unknown user', async () => {
    const res = await request(http).post('/heartbeat').send({ username: 'charlie' }).expect(404);
    expect(res.body).toEqual({ success: false, message: "User 'charlie' is not registered" });
  });

  it('accepts JSON sent with curl -d, whatever the content type', async () => {
    await request(http)
      .post('/register')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('{"username":"curl","addr":"127.0.0.1:9000"}')
      .expect(200);
  });

  describe('bad heartbeats: the same errors as class-validator gives, and nobody goes online', () => {
    beforeEach(async () => {
      await register('alice').expect(200);
    });
    afterEach(async () => {
      expect((await request(http).get('/discover')).body.count).toBe(0);
    });

    it.each([
      ['{"username": ', 400, /^Malformed JSON in request body: /],
      ['"alice"', 400, /^Request body must be a JSON object$/],
      ['{}', 400, /^username is required$/],
      ['{"username":"al ice"}', 400, /^username may only contain/],
      ['{"username":"alice","addr":"1.2.3.4:0"}', 400, /port 0 is outside 1-65535/],
      ['{"username":"alice","at":1}', 400, /^property at should not exist$/],
    ])('POST /heartbeat %s → %i', (body, status, message) =>
      expectRefused('/heartbeat', body, status, message),
    );
  });

  describe('bad input: a clear JSON error, and nothing written', () => {
    afterEach(async () => {
      expect((await request(http).get('/users')).body).toEqual({ users: [], count: 0 });
    });

    it.each([
      ['{"username": "alice", ', 400, /^Malformed JSON in request body: /],
      ['[1,2,3]', 400, /^Request body must be a JSON object$/],
      ['"alice"', 400, /^Request body must be a JSON object$/],
      ['null', 400, /^Request body must be a JSON object$/],
      ['{"username":"alice"}', 400, /^addr is required$/],
      ['{"username":"al ice","addr":"1.2.3.4:5"}', 400, /username may only contain/],
      ['{"username":"alice","addr":"1.2.3.4:99999"}', 400, /port 99999 is outside 1-65535/],
      [
        '{"username":"alice","addr":"1.2.3.4:5","role":"admin"}',
        400,
        /property role should not exist/,
      ],
      ['{"username":["alice"],"addr":"1.2.3.4:5"}', 400, /username must be a string/],
    ])('POST /register %s → %i', (body, status, message) =>
      expectRefused('/register', body, status, message),
    );

    it('names the JSON syntax error as JSON.parse does', async () => {
      const res = await postJson('/register', '{"username": "alice", ').expect(400);
      let syntax = '';
      try {
        JSON.parse('{"username": "alice", ');
      } catch (err) {
        syntax = (err as Error).message;
      }
      expect(res.body).toEqual({
        success: false,
        message: `Malformed JSON in request body: ${syntax}`,
      });
    });

    it('reads an empty body as {} and names every missing field', async () => {
      const res = await postJson('/register', '').expect(400);
      expect(res.body).toEqual({
        success: false,
        message: 'username is required; addr is required',
      });
    });

    it.each([
      [
        'no body announced',
        { 'Content-Type': 'application/json' },
        'Request body must be a JSON object',
      ],
      [
        'an empty body and no type',
        { 'Content-Length': '0' },
        'username is required; addr is required',
      ],
    ])('reads %s as body-parser does', async (_what, headers, message) => {
      const { port } = new URL(await app.getUrl());
      // Written by hand: node:http, fetch and supertest would all add a body header of their own.
      const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
      const raw = await new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = connect(Number(port), '127.0.0.1', () =>
          socket.write(
            `POST /register HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${head.join('')}\r\n`,
          ),
        );
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      const res = {
        status: Number(raw.split(' ')[1]),
        body: raw.slice(raw.indexOf('\r\n\r\n') + 4),
      };
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ success: false, message });
    });

    it('refuses a charset other than UTF with 415', async () => {
      const res = await request(http)
        .post('/register')
        .set('Content-Type', 'application/json; charset=latin1')
        .send('{"username":"alice","addr":"1.2.3.4:5"}')
        .expect(415);
      expect(res.body).toEqual({ success: false, message: 'unsupported charset "LATIN1"' });
    });

    /** A POST /register with a body as given: supertest would serialize a Buffer as JSON. */
    const postRaw = async (body: Buffer | string, encoding: string) => {
      const res = await fetch(`${await app.getUrl()}/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': encoding },
        body,
      });
      return { status: res.status, body: await res.json() };
    };

    it('inflates a compressed body, and refuses an encoding it does not know with 415', async () => {
      const json = JSON.stringify({ username: 'zipped', addr: '1.2.3.4:5', role: 'x' });
      // Refused for a field, so the body was inflated and parsed.
      const refusedForRole = {
        status: 400,
        body: { success: false, message: 'property role should not exist' },
      };
      expect(await postRaw(gzipSync(json), 'gzip')).toEqual(refusedForRole);
      expect(await postRaw(deflateSync(json), 'deflate')).toEqual(refusedForRole);
      expect(await postRaw(brotliCompressSync(json), 'br')).toEqual(refusedForRole);
      expect(await postRaw(json, 'compress')).toEqual({
        status: 415,
        body: { success: false, message: 'unsupported content encoding "compress"' },
      });
    });

    it('refuses a compressed body that inflates past 64 KiB with 413', async () => {
      const big = JSON.stringify({
        username: 'big',
        addr: '1.2.3.4:5',
        pad: 'x'.repeat(65 * 1024),
      });
      expect(await postRaw(gzipSync(big), 'gzip')).toEqual({
        status: 413,
        body: { success: false, message: 'Request body is larger than the 64 KiB limit' },
      });
    });

    it('refuses a body over 64 KiB with 413', async () => {
      const res = await postJson(
        '/register',
        JSON.stringify({ username: 'big', addr: '1.2.3.4:5', pad: 'x'.repeat(65 * 1024) }),
      ).expect(413);
      expect(res.body).toEqual({
        success: false,
        message: 'Request body is larger than the 64 KiB limit',
      });
    });

    it('refuses a body over 64 KiB with 413 also when it comes without a Content-Length', async () => {
      const req = request(http).post('/register').set('Content-Type', 'application/json');
      // Written in chunks, so the body goes out chunked and its size is known only as it comes.
      for (let i = 0; i < 66; i++) req.write('x'.repeat(1024));
      const res = await req.expect(413);
      expect(res.body).toEqual({
        success: false,
        message: 'Request body is larger than the 64 KiB limit',
      });
    });

    it('answers 404 with JSON for an unknown route or method', async () => {
      expect((await request(http).get('/nope').expect(404)).body).toEqual({
        success: false,
        message: 'Cannot GET /nope',
      });
      expect((await request(http).delete('/users').expect(404)).body.success).toBe(false);
    });
  });
});

describe('HTTP API on a follower', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let app: INestApplication;
  let http: App;
  let peers: string[];
  let fakeLeader: TcpTransport | null = null;
  let beat: NodeJS.Timeout | null = null;

  beforeEach(async () => {
    tmp = makeTempDir();
    const ports = await freePorts(3);
    peers = ports.map((p) => `127.0.0.1:${p}`);
    const configPath = writeClusterConfig(tmp.dir, { peers });
    const config = loadClusterConfig({
      configPath,
      env: { DATA_DIR: `${tmp.dir}/data`, API_PORT: '3100', ...httpAdapterEnv() },
    });
    app = await createApp(config, false);
    await app.listen(0, '127.0.0.1');
    http = app.getHttpServer() as App;
  });

  afterEach(async () => {
    if (beat) clearInterval(beat);
    await fakeLeader?.stop();
    fakeLeader = null;
    await app.close();
    tmp.cleanup();
  });

  const routes = [
    () => request(http).post('/register').send({ username: 'alice', addr: '1.2.3.4:5' }),
    () => request(http).post('/heartbeat').send({ username: 'alice' }),
    () => request(http).get('/users'),
    () => request(http).get('/discover'),
  ];

  it('answers 503 with Retry-After while no leader is known', async () => {
    for (const call of routes) {
      const res = await call().expect(503).expect('Retry-After', '1');
      expect(res.body).toEqual({
        success: false,
        message:
          'This node is not the leader and no leader is known yet: an election is under way. Retry shortly.',
        current_leader: null,
        leader_api: null,
      });
    }
    // The guard runs before validation: a follower never even looks at the body.
    await request(http).post('/register').send({ username: 'bad name' }).expect(503);
  });

  it('answers 403 naming the leader it hears, with the API URL the leader sent', async () => {
    // A peer speaking the real protocol claims leadership of term 4.
    const [node, leader] = peers;
    fakeLeader = new TcpTransport({
      self: leader,
      bind: { host: '127.0.0.1', port: Number(leader.split(':')[1]) },
      peers,
      api: 'http://127.0.0.1:3001',
      netTimeoutMs: 200,
      retryMs: 20,
      keepaliveMs: 50,
      random: Math.random,
    });
    await fakeLeader.start({ message: () => undefined, unreachable: () => undefined });
    const frame = emptyAppendEntries({ from: leader, to: node, term: 4 });
    beat = setInterval(() => fakeLeader?.send(frame), 20);
    await waitFor('the node to follow the fake leader', async () => {
      const h = (await request(http).get('/')).body as { current_leader: string | null };
      return h.current_leader === leader;
    });
    for (const call of routes) {
      const res = await call().expect(403);
      expect(res.headers['rollcall-term']).toBeUndefined();
      expect(res.body).toEqual({
        success: false,
        message: `This node is not the leader. Current leader: ${leader}`,
        current_leader: leader,
        leader_api: 'http://127.0.0.1:3001',
      });
    }
    expect((await request(http).get('/').expect(200)).body).toMatchObject({
      is_leader: false,
      term: 4,
      current_leader: leader,
      leader_api: 'http://127.0.0.1:3001',
      node,
    });
  });
});
