import { type InProcessNode, startInProcessNode } from '../support/in-process-node';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { hostPortError, usernameError } from '../../src/clients/dto/field-rules';
import { MAX_BODY_BYTES } from '../../src/common/http/error-response';
import { FUZZ_PARAMS } from '../support/fuzz-runs';

interface Answer {
  status: number;
  body: string;
}

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function send(port: number, c: Case, fresh = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: c.method,
        path: c.path,
        headers: c.headers,
        agent: fresh ? false : agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed after its last answer: the classic reuse race,
      // which says nothing about this request. Ask again on a new connection.
      if (req.reusedSocket && err.code === 'ECONNRESET') {
        send(port, c, true).then(resolve, reject);
        return;
      }
      // A node may answer an oversized body at once and close before reading it all.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve({ status: -1, body: '' });
      else reject(err);
    });
    req.end(c.body ?? undefined);
  });
}

/** Writes `bytes` on a new connection, half-closes it, and returns the first answer, if any. */
function rawExchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      // Only the first answer: a pipelined second request may follow it.
      const next = text.indexOf('HTTP/1.1 ', 1);
      resolve(next > 0 ? text.slice(0, next) : text);
    });
  });
}

const usernameish = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/),
  fc.string({ maxLength: 80 }),
  fc.constantFrom('', ' ', '__proto__', 'constructor', 'a'.repeat(65), 'ü', '\u0000'),
);
const addrish = fc.oneof(
  fc.constantFrom('127.0.0.1:9000', '[::1]:80', 'host.example:65535', 'x:0', ':1', '1.2.3.4'),
  fc.string({ maxLength: 40 }),
);
const jsonBody = fc.oneof(
  fc.record({ username: usernameish, addr: addrish }, { requiredKeys: [] }),
  fc.record({ username: usernameish, addr: addrish, extra: fc.jsonValue({ maxDepth: 1 }) }),
  fc.jsonValue({ maxDepth: 3 }),
);
const body = fc.oneof(
  { weight: 6, arbitrary: jsonBody.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 64 }).map((s) => Buffer.from(s)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 60 * 1024, max: 80 * 1024 }).map((n) => Buffer.alloc(n, 0x61)),
  },
  { weight: 1, arbitrary: fc.constant(null) },
);
const fuzzCase: fc.Arbitrary<Case> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    path: fc.oneof(
      {
        weight: 8,
        arbitrary: fc.constantFrom('/register', '/heartbeat', '/users', '/discover', '/'),
      },
      {
        weight: 1,
        arbitrary: fc.string({ maxLength: 20 }).map((s) => `/${encodeURIComponent(s)}`),
      },
      { weight: 1, arbitrary: fc.constantFrom('/register?x=1', '/heartbeat/', '/%ZZ', '//users') },
    ),
    contentType: fc.option(
      fc.oneof(
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-8',
          'application/json; charset=utf-16',
          'application/json; charset=latin1',
          'multipart/form-data; boundary=x',
        ),
        fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
      ),
      { nil: undefined },
    ),
    contentEncoding: fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'zstd', 'x'), {
      nil: undefined,
    }),
    extraHeader: fc.option(
      fc.tuple(fc.stringMatching(/^x-[a-z]{1,10}$/), fc.stringMatching(/^[\x20-\x7e]{0,60}$/)),
      { nil: undefined },
    ),
    body,
  })
  .map(({ method, path, contentType, contentEncoding, extraHeader, body: b }) => {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    if (contentEncoding) headers['content-encoding'] = contentEncoding;
    if (extraHeader) headers[extraHeader[0]] = extraHeader[1];
    // node:http would send a GET's body with no length at all, which is not HTTP; raw bytes
    // are fuzzed on their own below.
    if (b) headers['content-length'] = String(b.length);
    return { method, path, headers, body: b };
  });

/**
 * Random requests at a real node on loopback: no 5xx for anything a client sends, every error a
 * JSON `{success:false, message}`, and only valid users ever registered.
 */
describe('HTTP API, fuzzed', () => {
  let node: InProcessNode;
  let port: number;

  beforeAll(async () => {
    node = await startInProcessNode();
    port = node.port;
  });

  afterAll(async () => {
    agent.destroy();
    await node.close();
  });

  it('answers bytes that are not HTTP with a JSON 4xx or nothing, and keeps serving', async () => {
    const raw = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
      fc
        .tuple(
          fc.constantFrom(
            'GET / HTTP/1.1\r\n',
            'POST /register HTTP/1.1\r\n',
            'GET /users HTTP/9.9\r\n',
          ),
          fc.string({ maxLength: 100 }),
        )
        .map(([line, rest]) => Buffer.from(line + rest)),
      fc
        .string({ maxLength: 40 })
        .map((h) => Buffer.from(`POST /heartbeat HTTP/1.1\r\nHost: x\r\n${h}\r\n\r\n{}`)),
    );
    await fc.assert(
      fc.asyncProperty(raw, async (bytes) => {
        const answer = await rawExchange(port, bytes);
        if (answer === '') return;
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
        if (status >= 400) {
          const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
          expect((JSON.parse(body) as { success: unknown }).success).toBe(false);
        }
      }),
      FUZZ_PARAMS,
    );
    const health = await send(port, { method: 'GET', path: '/', headers: {}, body: null });
    expect(health.status).toBe(200);
  });

  it('answers every request below 500, with a JSON error for every refusal', async () => {
    let registered = 0;
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const res = await send(port, c);
        if (res.status === -1) {
          expect(c.body?.length ?? 0).toBeGreaterThan(MAX_BODY_BYTES);
          return;
        }
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400 && c.method !== 'HEAD') {
          const error = JSON.parse(res.body) as { success: unknown; message: unknown };
          expect(error.success).toBe(false);
          expect(typeof error.message === 'string' && error.message.length > 0).toBe(true);
        }
        // Counted by what came back: '/register?x=1' and '/REGISTER/' register too.
        if (res.status === 200 && /registered successfully/.test(res.body)) registered++;
      }),
      FUZZ_PARAMS,
    );
    // Nothing half-written: exactly the acknowledged registrations, each one valid.
    const res = await send(port, { method: 'GET', path: '/users', headers: {}, body: null });
    const { users, count } = JSON.parse(res.body) as {
      users: { username: unknown; addr: unknown }[];
      count: number;
    };
    expect(count).toBe(registered);
    for (const u of users) {
      expect(usernameError(u.username)).toBeNull();
      expect(hostPortError('addr', u.addr)).toBeNull();
    }
  });
});
