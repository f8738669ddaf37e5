import { request as httpRequest } from 'node:http';
import { freePorts } from '../support/free-port';
import { NodeProcess, writeClusterConfig } from '../support/node-process';
import { waitFor } from '../support/poll';
import { makeTempDir } from '../support/temp-dir';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: { success: boolean; message: string };
}

/** POSTs from a chosen loopback address, so the node sees two different clients. */
function post(port: number, from: string, path: string, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        localAddress: from,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
            body: JSON.parse(text) as Answer['body'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('per-address limit on /register', () => {
  const tmp = makeTempDir('rollcall-limit-');
  let node: NodeProcess | null = null;
  afterAll(async () => {
    await node?.kill();
    tmp.cleanup();
  });

  it('answers 429 with Retry-After past the limit, per address, and never limits heartbeats', async () => {
    const [apiPort, electionPort] = await freePorts(2);
    const config = writeClusterConfig(tmp.dir, {
      peers: [`127.0.0.1:${electionPort}`],
      registerLimit: 3,
      extra: 'register_window_ms = 60000',
    });
    node = new NodeProcess({ config, apiPort, dataDir: `${tmp.dir}/data` });
    await node.waitUntilServing();
    const register = (from: string, username: string) =>
      post(apiPort, from, '/register', { username, addr: '127.0.0.1:9000' });
    await waitFor('leadership', async () => (await register('127.0.0.1', 'a0')).status === 200);
    expect((await register('127.0.0.1', 'a1')).status).toBe(200);
    expect((await register('127.0.0.1', 'a2')).status).toBe(200);
    const refused = await register('127.0.0.1', 'a3');
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(refused.body).toEqual({
      success: false,
      message: expect.stringMatching(
        /^Too many registrations from this address: at most 3 per 60 s\. Retry in \d+ s\.$/,
      ) as unknown,
    });
    // Another address has its own count.
    expect((await register('127.0.0.2', 'b0')).status).toBe(200);
    // Heartbeats are never limited.
    for (let i = 0; i < 20; i++) {
      expect((await post(apiPort, '127.0.0.1', '/heartbeat', { username: 'a0' })).status).toBe(200);
    }
    // The refused name was not registered.
    const users = (await (await fetch(`${node.url}/users`)).json()) as { count: number };
    expect(users.count).toBe(4);
  });
});
