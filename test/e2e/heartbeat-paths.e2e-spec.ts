import request from 'supertest';
import { type Beat, BEATS, rawHeadersOf, sendBeat } from '../support/heartbeat-cases';
import { type InProcessNode, startInProcessNode } from '../support/in-process-node';

/** Beats that only the server-level path tells apart: the body's charset. */
const CHARSET_BEATS: Beat[] = [
  {
    what: 'JSON with its charset named',
    body: '{"username":"alice"}',
    contentType: 'application/json; charset=utf-8',
  },
  {
    what: 'JSON in a charset the node does not read',
    body: '{"username":"alice"}',
    contentType: 'application/json; charset=latin1',
  },
];

/** Status, body, and every header by name and in order, but the date. */
interface Answer {
  status: number;
  body: unknown;
  headers: string[];
}

async function send(node: InProcessNode, path: string, token: string, beat: Beat): Promise<Answer> {
  const res = await sendBeat(node.http, path, token, beat);
  const raw = rawHeadersOf(res);
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() !== 'date') headers.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  return { status: res.status, body: res.body as unknown, headers };
}

/**
 * On Fastify the plain POST /heartbeat is answered by the HTTP server before Fastify
 * (src/platform/server-heartbeat.ts); `/heartbeat/` is the same route to a client but goes
 * through Fastify as before. A client must not be able to tell the two apart, on either platform.
 */
describe('POST /heartbeat answered alike by the server and by the platform', () => {
  let node: InProcessNode;
  let token: string;
  beforeAll(async () => {
    node = await startInProcessNode();
    const res = await request(node.http)
      .post('/register')
      .send({ username: 'alice', addr: '1.2.3.4:5' })
      .expect(200);
    token = (res.body as { token: string }).token;
  });
  afterAll(() => node.close());

  it.each([...BEATS, ...CHARSET_BEATS].map((b) => [b.what, b] as const))(
    'answers %s the same way on both paths',
    async (_what, beat) => {
      const server = await send(node, '/heartbeat', token, beat);
      const platform = await send(node, '/heartbeat/', token, beat);
      expect(server).toEqual(platform);
    },
  );

  it('counts heartbeats of both paths in the route metric', async () => {
    const count = async () => {
      const text = (await request(node.http).get('/metrics').expect(200)).text;
      const line = text
        .split('\n')
        .find((l) =>
          l.startsWith(
            'rollcall_http_request_duration_seconds_count{route="/heartbeat",status="200"}',
          ),
        );
      return Number(line?.split(' ')[1] ?? 0);
    };
    const before = await count();
    await send(node, '/heartbeat', token, BEATS[0]);
    await send(node, '/heartbeat/', token, BEATS[0]);
    expect(await count()).toBe(before + 2);
  });
});
