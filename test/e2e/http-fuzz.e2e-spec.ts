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
/** Valid by the field rules: names of every allowed character, addresses of every form. */
const validUser = fc.record({
  username: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
  addr: fc
    .tuple(
      fc.oneof(
        fc.ipV4(),
        fc.ipV6().map((a) => `[${a}]`),
        fc.domain().filter((d) => d.length <= 200),
      ),
      fc.integer({ min: 1, max: 65535 }),
    )
    .map(([host, port]) => `${host}:${port}`),
});
const jsonBody = fc.oneof(
  validUser,
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

/** Content types under which docs/api.md says a body is read as JSON, and read it so. */
const JSON_READABLE = new Set([
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
]);

/**
 * The cases docs/api.md pins down as served: a GET of a public route without a body, and a
 * registration with a valid name and address and nothing else, as JSON, not encoded. Null for
 * every other case, which need only be answered below 500.
 */
function validRequest(c: Case): { kind: 'get' } | { kind: 'register'; username: string } | null {
  if (c.method === 'GET' && ['/', '/users', '/discover'].includes(c.path) && c.body === null) {
    return { kind: 'get' };
  }
  if (c.method !== 'POST' || c.path !== '/register' || c.body === null) return null;
  if (!JSON_READABLE.has(c.headers['content-type'])) return null;
  const encoding = c.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') return null;
  let body: unknown;
  try {
    body = JSON.parse(c.body.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { username, addr, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || usernameError(username) !== null) return null;
  if (hostPortError('addr', addr) !== null) return null;
  return { kind: 'register', username: username as string };
}

const exampleBody = Buffer.from(JSON.stringify({ username: 'fuzz-example', addr: '10.0.0.1:9' }));
/** Tried first, twice: a registration that must succeed, then the same one, which must be 409. */
const validRegistration: Case = {
  method: 'POST',
  path: '/register',
  headers: { 'content-type': 'application/json', 'content-length': String(exampleBody.length) },
  body: exampleBody,
};
const validGet: Case = { method: 'GET', path: '/users', headers: {}, body: null };

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

  it('answers raw bytes, HTTP or not, and refuses everything malformed with a JSON 4xx', async () => {
    // Each case says what it must get: a well-formed GET is served (200), bytes that cannot
    // begin a request are refused (400), and anything else gets some answer below 500, a JSON
    // error if it is a refusal. The connection is half-closed after the bytes, so a request
    // cut short is malformed too: nothing may go unanswered.
    type RawCase = { bytes: Buffer; expected: 'served' | 'refused' | 'answered' };
    const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/);
    const raw: fc.Arbitrary<RawCase> = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('/', '/users', '/discover'),
          fc.stringMatching(/^[a-z]{1,10}$/),
          headerValue,
        )
        .map(([path, name, value]) => ({
          bytes: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-${name}: ${value}\r\n\r\n`),
          expected: 'served' as const,
        })),
      fc
        .tuple(fc.constantFrom('{', '<', '@', '\x00', '\x7f'), fc.uint8Array({ maxLength: 200 }))
        .map(([first, rest]) => ({
          bytes: Buffer.concat([Buffer.from(first, 'latin1'), Buffer.from(rest)]),
          expected: 'refused' as const,
        })),
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => ({
        bytes: Buffer.from(b),
        expected: 'answered' as const,
      })),
      fc
        .tuple(
          fc.constantFrom(
            'GET / HTTP/1.1\r\n',
            'POST /register HTTP/1.1\r\n',
            'GET /users HTTP/9.9\r\n',
          ),
          fc.string({ maxLength: 100 }),
        )
        .map(([line, rest]) => ({
          bytes: Buffer.from(line + rest),
          expected: 'answered' as const,
        })),
      fc.string({ maxLength: 40 }).map((h) => ({
        bytes: Buffer.from(`POST /heartbeat HTTP/1.1\r\nHost: x\r\n${h}\r\n\r\n{}`),
        expected: 'answered' as const,
      })),
    );
    // Always tried: an HTTP/1.1 request without the Host header it must carry.
    const hostless: RawCase = { bytes: Buffer.from('GET / HTTP/1.1\r\n\r\n'), expected: 'refused' };
    await fc.assert(
      fc.asyncProperty(raw, async ({ bytes, expected }) => {
        const answer = await rawExchange(port, bytes);
        // Blank lines before a request line are skipped (RFC 9112): no request, no answer.
        if (answer === '' && /^[\r\n]+$/.test(bytes.toString('latin1'))) return;
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
        if (expected === 'served') expect(status).toBe(200);
        else if (expected === 'refused') expect(status).toBe(400);
        else {
          expect(status).toBeGreaterThanOrEqual(200);
          expect(status).toBeLessThan(500);
        }
        if (status >= 400) {
          const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
          expect((JSON.parse(body) as { success: unknown }).success).toBe(false);
        }
      }),
      { ...FUZZ_PARAMS, examples: [[hostless]] },
    );
    const health = await send(port, { method: 'GET', path: '/', headers: {}, body: null });
    expect(health.status).toBe(200);
  });

  it('answers every request below 500, serves the valid ones, with a JSON error for every refusal', async () => {
    const taken = new Set<string>();
    let registered = 0;
    const served = { get: 0, register: 0 };
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
        const valid = validRequest(c);
        if (valid?.kind === 'get') {
          expect(res.status).toBe(200);
          served.get++;
        } else if (valid?.kind === 'register') {
          expect(res.status).toBe(taken.has(valid.username) ? 409 : 200);
          served.register++;
        }
        // Counted by what came back: '/register?x=1' and '/REGISTER/' register too.
        const done = /User '(.+)' registered successfully/.exec(res.body);
        if (res.status === 200 && done) {
          registered++;
          taken.add(done[1]);
        }
      }),
      { ...FUZZ_PARAMS, examples: [[validRegistration], [validRegistration], [validGet]] },
    );
    // The examples at least: a node refusing everything with a 400 fails above.
    expect(served.get).toBeGreaterThan(0);
    expect(served.register).toBeGreaterThan(0);
    expect(registered).toBeGreaterThan(0);
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
