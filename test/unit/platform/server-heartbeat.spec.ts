import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  ServerResponse,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { HeartbeatEndpoint, type EndpointAnswer } from '../../../src/clients/heartbeat-endpoint';
import { HttpMetrics } from '../../../src/metrics/http-metrics';
import { serveHeartbeatsOnTheServer } from '../../../src/platform/server-heartbeat';
import { rawHeadersOf } from '../../support/heartbeat-cases';
import { waitFor } from '../../support/poll';

const ACCEPTED: EndpointAnswer = {
  status: 200,
  body: { success: true, message: "Heartbeat accepted for 'alice' at 1.2.3.4:5" },
  headers: [['Rollcall-Term', '7']],
};

/**
 * A server whose platform answers 418 to whatever reaches it, with POST /heartbeat taken in
 * front of it by serveHeartbeatsOnTheServer; the endpoint and the metrics are recorded.
 */
async function serverInFront(
  given: EndpointAnswer | (() => Promise<EndpointAnswer>) = ACCEPTED,
): Promise<{
  server: Server;
  platform: jest.Mock;
  answered: { body: unknown; authorization: string | undefined }[];
  observed: [string | undefined, number][];
}> {
  const platform = jest.fn((_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(418).end();
  });
  const server = createServer(platform);
  const answered: { body: unknown; authorization: string | undefined }[] = [];
  const observed: [string | undefined, number][] = [];
  const endpoint = {
    answer: (body: unknown, authorization: string | undefined) => {
      answered.push({ body, authorization });
      return typeof given === 'function' ? given() : Promise.resolve(given);
    },
  };
  const metrics = {
    observe: (route: string | undefined, status: number) => observed.push([route, status]),
  };
  const app = {
    get: (token: unknown) =>
      token === HeartbeatEndpoint ? endpoint : token === HttpMetrics ? metrics : null,
  } as unknown as INestApplication;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serveHeartbeatsOnTheServer(server, app);
  return { server, platform, answered, observed };
}

describe('POST /heartbeat served from the HTTP server before the platform', () => {
  let s: Awaited<ReturnType<typeof serverInFront>>;
  beforeEach(async () => {
    s = await serverInFront();
  });
  afterEach(() => new Promise<void>((resolve) => s.server.close(() => resolve())));

  it("answers a plain JSON heartbeat with the endpoint's answer, as Fastify writes it", async () => {
    const res = await request(s.server)
      .post('/heartbeat')
      .set('content-type', 'application/json')
      .set('authorization', 'Bearer abc')
      .send('{"username":"alice"}');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(ACCEPTED.body);
    const names = rawHeadersOf(res).filter((_, i) => i % 2 === 0);
    expect(names.slice(0, 3)).toEqual(['rollcall-term', 'content-type', 'content-length']);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-length']).toBe(
      String(Buffer.byteLength(JSON.stringify(ACCEPTED.body))),
    );
    expect(res.headers['rollcall-term']).toBe('7');
    expect(s.answered).toEqual([{ body: { username: 'alice' }, authorization: 'Bearer abc' }]);
    expect(s.observed).toEqual([['/heartbeat', 200]]);
    expect(s.platform).not.toHaveBeenCalled();
  });

  it('answers a body that is not JSON with 400 and closes the connection, as Fastify does', async () => {
    const res = await request(s.server)
      .post('/heartbeat')
      .set('content-type', 'application/json; charset=utf-8')
      .send('{"username":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      success: false,
      message: expect.stringMatching(/^Malformed JSON in request body: /) as string,
    });
    expect(res.headers.connection).toBe('close');
    expect(s.answered).toEqual([]);
    expect(s.observed).toEqual([['/heartbeat', 400]]);
    expect(s.platform).not.toHaveBeenCalled();
  });

  type Agent = ReturnType<typeof request>;
  const passedOn: [string, (r: Agent) => request.Test][] = [
    [
      'another method',
      (r) => r.put('/heartbeat').set('content-type', 'application/json').send('{}'),
    ],
    [
      'another spelling of the path',
      (r) => r.post('/Heartbeat').set('content-type', 'application/json').send('{}'),
    ],
    [
      'a trailing slash',
      (r) => r.post('/heartbeat/').set('content-type', 'application/json').send('{}'),
    ],
    ['a query', (r) => r.post('/heartbeat?x=1').set('content-type', 'application/json').send('{}')],
    [
      'a form content type',
      (r) =>
        r.post('/heartbeat').set('content-type', 'application/x-www-form-urlencoded').send('{}'),
    ],
    ['no content type', (r) => r.post('/heartbeat').send(Buffer.from('{}'))],
    [
      'a compressed body',
      (r) =>
        r
          .post('/heartbeat')
          .set('content-type', 'application/json')
          .set('content-encoding', 'gzip')
          .send(gzipSync('{"username":"alice"}')),
    ],
    [
      'a body over the limit',
      (r) =>
        r
          .post('/heartbeat')
          .set('content-type', 'application/json')
          .send(`"${'x'.repeat(64 * 1024)}"`),
    ],
  ];

  it.each(passedOn)('leaves %s to the platform', async (_what, send) => {
    const res = await send(request(s.server));
    expect(res.status).toBe(418);
    expect(s.platform).toHaveBeenCalledTimes(1);
    expect(s.answered).toEqual([]);
  });

  it('leaves a chunked body to the platform', async () => {
    const { port } = s.server.address() as AddressInfo;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/heartbeat',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('{"username":');
      req.end('"alice"}');
    });
    expect(status).toBe(418);
    expect(s.answered).toEqual([]);
  });

  it('gives up on a client that leaves mid-body, and answers the next one', async () => {
    const { port } = s.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    // 100 bytes announced, 12 sent, then the connection goes.
    const written = new Promise<void>((resolve) =>
      socket.write(
        'POST /heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          'Content-Length: 100\r\n\r\n{"username":',
        () => resolve(),
      ),
    );
    await written;
    socket.destroy();
    const res = await request(s.server)
      .post('/heartbeat')
      .set('content-type', 'application/json')
      .send('{"username":"alice"}');
    expect(res.status).toBe(200);
    expect(s.answered).toEqual([{ body: { username: 'alice' }, authorization: undefined }]);
  });

  /** Undone after each test, also one whose assertion failed: the spy, the extra server. */
  const undo: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of undo.splice(0)) await step();
  });

  /** Two heartbeats whose answers the test releases together; counts the answers written. */
  async function twoHeldBeats(ready: EndpointAnswer) {
    const release: (() => void)[] = [];
    const held = await serverInFront(
      () => new Promise<EndpointAnswer>((resolve) => release.push(() => resolve(ready))),
    );
    undo.push(() => new Promise<void>((resolve) => held.server.close(() => resolve())));
    const writeHead = jest.spyOn(ServerResponse.prototype, 'writeHead');
    undo.push(() => writeHead.mockRestore());
    const beat = () =>
      request(held.server)
        .post('/heartbeat')
        .set('content-type', 'application/json')
        .send('{"username":"alice"}')
        .then((res) => res.status);
    const statuses = Promise.all([beat(), beat()]);
    await waitFor('both heartbeats at the endpoint', () => release.length === 2);
    return {
      releaseBoth: async () => {
        for (const answerNow of release) answerNow();
        for (let i = 0; i < 10; i++) await Promise.resolve(); // this turn's microtasks
      },
      written: () => writeHead.mock.calls.length,
      statuses: () => statuses,
    };
  }

  it('writes the answers that became ready in one turn together, once the turn has run', async () => {
    const beats = await twoHeldBeats(ACCEPTED);
    await beats.releaseBoth();
    expect(beats.written()).toBe(0);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(beats.written()).toBe(2);
    expect(await beats.statuses()).toEqual([200, 200]);
  });

  it('writes the answers of a round at once: they came in a burst already', async () => {
    const beats = await twoHeldBeats({ ...ACCEPTED, afterRound: true });
    await beats.releaseBoth();
    expect(beats.written()).toBe(2);
    expect(await beats.statuses()).toEqual([200, 200]);
  });

  it('answers 500 when an answer cannot be written, and goes on serving', async () => {
    const bad = await serverInFront({ ...ACCEPTED, headers: [['Rollcall-Term', 'a\nb']] });
    try {
      const res = await request(bad.server)
        .post('/heartbeat')
        .set('content-type', 'application/json')
        .send('{"username":"alice"}');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ success: false, message: 'Internal server error' });
      expect(bad.observed).toEqual([['/heartbeat', 500]]);
      expect(bad.platform).not.toHaveBeenCalled();
    } finally {
      await new Promise<void>((resolve) => bad.server.close(() => resolve()));
    }
  });
});
