import { freePorts } from '../support/free-port';
import { NodeProcess, writeClusterConfig } from '../support/node-process';
import { waitFor } from '../support/poll';
import { postJson } from '../support/post-json';
import { makeTempDir } from '../support/temp-dir';

describe('require_client_token = true', () => {
  const tmp = makeTempDir('rollcall-token-');
  let node: NodeProcess | null = null;
  afterAll(async () => {
    await node?.kill();
    tmp.cleanup();
  });

  it('refuses every heartbeat without the right token, and the token stays out of the log file', async () => {
    const [apiPort, electionPort] = await freePorts(2);
    const config = writeClusterConfig(tmp.dir, {
      peers: [`127.0.0.1:${electionPort}`],
      extra: 'require_client_token = true',
    });
    node = new NodeProcess({
      config,
      apiPort,
      dataDir: `${tmp.dir}/data`,
      env: { LOG_LEVEL: 'trace' },
    });
    await node.waitUntilServing();
    const post = (path: string, body: unknown, token?: string) =>
      postJson(node!.url, path, body, { token });
    const reg = await waitFor('a registration', async () => {
      const r = await post('/register', { username: 'erin', addr: '127.0.0.1:7000' });
      return r.status === 200 ? ((await r.json()) as { token: string }) : undefined;
    });
    const bare = await post('/heartbeat', { username: 'erin' });
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { message: string }).message).toBe(
      'Every heartbeat must carry the token from /register (Authorization: Bearer <token>)',
    );
    // A token, but not erin's: a well-formed guess, and another client's real one.
    const other = (await (
      await post('/register', { username: 'frank', addr: '127.0.0.1:7001' })
    ).json()) as { token: string };
    for (const wrong of ['A'.repeat(43), other.token]) {
      const refused = await post('/heartbeat', { username: 'erin' }, wrong);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await refused.json()) as { message: string }).message).toBe(
        "The token is not 'erin's",
      );
    }
    expect((await post('/heartbeat', { username: 'erin' }, reg.token)).status).toBe(200);
    // Not in the logs, even at trace, nor on disk: only its hash is stored.
    expect(node.lines.some((l) => l.includes(reg.token))).toBe(false);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(`${tmp.dir}/data/raft.log`, 'latin1')).not.toContain(reg.token);
  });
});
