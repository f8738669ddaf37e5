import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { freePorts } from '../support/free-port';
import { NodeProcess, writeClusterConfig } from '../support/node-process';
import { waitFor } from '../support/poll';
import { makeTempDir } from '../support/temp-dir';

/** A node started from dist/main.js as a real process. */
describe('node process', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  const started: NodeProcess[] = [];
  beforeEach(() => (tmp = makeTempDir()));
  afterEach(async () => {
    await Promise.all(started.splice(0).map((n) => n.kill()));
    tmp.cleanup();
  });

  async function singleNode(dataDir = join(tmp.dir, 'data')) {
    const [electionPort, apiPort] = await freePorts(2);
    const config = writeClusterConfig(tmp.dir, { peers: [`127.0.0.1:${electionPort}`] });
    return { config, apiPort, dataDir, electionPort };
  }

  function start(opts: ConstructorParameters<typeof NodeProcess>[0]): NodeProcess {
    const node = new NodeProcess(opts);
    started.push(node);
    return node;
  }

  describe('refuses a bad start with one line and exit code 2, before binding anything', () => {
    it('for a missing config file', async () => {
      const node = start({ config: join(tmp.dir, 'missing.toml'), apiPort: 1, dataDir: tmp.dir });
      expect(await node.exited).toEqual({ code: 2, signal: null });
      expect(node.lines).toEqual([
        `rollcall: config error: ${join(tmp.dir, 'missing.toml')}: (file): file not found`,
      ]);
    });

    it('for this_node not among peers', async () => {
      const s = await singleNode();
      const node = start({ ...s, thisNode: '127.0.0.1:1' });
      expect(await node.exited).toEqual({ code: 2, signal: null });
      expect(node.lines).toHaveLength(1);
      expect(node.lines[0]).toMatch(
        /config\.toml: this_node \(from --this-node\): "127\.0\.0\.1:1" is not among peers/,
      );
    });

    it('for an unknown command-line flag', async () => {
      const s = await singleNode();
      const node = start({ ...s, extraArgs: ['--verbose'] });
      expect(await node.exited).toEqual({ code: 2, signal: null });
      expect(node.lines[0]).toBe('rollcall: unknown argument "--verbose"');
    });

    it('for a bad value in the environment', async () => {
      const s = await singleNode();
      const node = start({ ...s, env: { HEARTBEAT_INTERVAL_MS: '0' } });
      expect(await node.exited).toEqual({ code: 2, signal: null });
      expect(node.lines).toEqual([
        `rollcall: config error: ${s.config}: heartbeat_interval_ms (from env HEARTBEAT_INTERVAL_MS): must be positive, got 0`,
      ]);
    });

    it('for an HTTP_ADAPTER it does not know', async () => {
      const s = await singleNode();
      const node = start({ ...s, env: { HTTP_ADAPTER: 'koa' } });
      expect(await node.exited).toEqual({ code: 2, signal: null });
      expect(node.lines).toEqual([
        `rollcall: config error: ${s.config}: HTTP_ADAPTER: "koa" is not one of fastify, express`,
      ]);
    });

    it.each(['API', 'election'])('for a %s port already in use', async (which) => {
      const s = await singleNode();
      const taken = which === 'API' ? s.apiPort : s.electionPort;
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(taken, '127.0.0.1', r));
      try {
        const node = start(s);
        expect(await node.exited).toEqual({ code: 2, signal: null });
        expect(node.lines).toHaveLength(1);
        expect(node.lines[0]).toContain(
          which === 'API'
            ? `API_PORT: cannot bind 127.0.0.1:${s.apiPort} (EADDRINUSE)`
            : `this_node: cannot bind 127.0.0.1:${s.electionPort} (EADDRINUSE)`,
        );
      } finally {
        await new Promise((r) => blocker.close(r));
      }
    });
  });

  describe('stops with exit code 1 rather than serve wrong data or cast a vote it cannot keep', () => {
    /** How a node's start ends: its exit, or 'serving' if it answers the health check first. */
    const outcome = (node: NodeProcess) =>
      Promise.race([node.exited, node.waitUntilServing().then(() => 'serving' as const)]);

    /** Runs a node until it has committed `users` registrations, then kills it. */
    async function nodeWithUsers(s: Awaited<ReturnType<typeof singleNode>>, users: number) {
      const node = start(s);
      await node.waitUntilServing();
      for (let i = 0; i < users; i++) {
        await waitFor(`registration ${i}`, async () => {
          const res = await fetch(`${node.url}/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: `u${i}`, addr: '10.0.0.1:9000' }),
          });
          return res.status === 200;
        });
      }
      await node.kill();
    }

    it('for a log damaged before its last record', async () => {
      const s = await singleNode();
      await nodeWithUsers(s, 3);
      const log = join(s.dataDir, 'raft.log');
      const bytes = readFileSync(log);
      // The first record's first payload byte (after its length and checksum): not a torn tail.
      bytes[8] ^= 0xff;
      writeFileSync(log, bytes);
      const node = start(s);
      expect(await outcome(node)).toEqual({ code: 1, signal: null });
      expect(node.lines.join('\n')).toContain(`${log}: corrupt record at byte 0`);
    });

    it('for an election state file that is not one', async () => {
      const s = await singleNode();
      await nodeWithUsers(s, 1);
      const state = join(s.dataDir, 'election-state.json');
      writeFileSync(state, '{"term": "seven"}');
      const node = start(s);
      expect(await outcome(node)).toEqual({ code: 1, signal: null });
      expect(node.lines.join('\n')).toContain(`${state}: not an election state`);
    });

    it('when its term and vote cannot be written', async () => {
      const s = await singleNode();
      // The vote is written to this name, then renamed into place: a directory there makes the
      // write fail, even for root.
      mkdirSync(join(s.dataDir, 'election-state.json.tmp'), { recursive: true });
      const node = start(s);
      // It serves health first: the vote is written at its first election, a moment later.
      await waitFor('the node to stop', () => !node.running);
      expect(await node.exited).toEqual({ code: 1, signal: null });
      const out = node.lines.join('\n');
      expect(out).toMatch(/cannot persist the election state or the log: .*EISDIR.*; stopping/);
      // It stopped before it could lead: no term of its own was ever acknowledged.
      expect(out).not.toContain('became leader');
    });
  });

  it('prints where it listens and stops cleanly with exit 0 on SIGTERM', async () => {
    const s = await singleNode();
    const node = start(s);
    await node.waitUntilServing();
    const out = node.lines.join('\n');
    expect(out).toContain(`HTTP API server listening on http://127.0.0.1:${s.apiPort}`);
    expect(out).toContain('POST /register   - Register new user');
    expect(out).toContain(`Leader election address 127.0.0.1:${s.electionPort}`);
    node.signal('SIGTERM');
    // Exit 0 means it shut down in time: past its 2 s deadline it exits 1.
    expect(await node.exited).toEqual({ code: 0, signal: null });
    expect(node.lines.join('\n')).toContain('SIGTERM received: shutting down');
  });

  it('keeps every acknowledged registration across a SIGKILL mid-way through registering', async () => {
    const s = await singleNode();
    let node = start(s);
    await node.waitUntilServing();

    const acknowledged: string[] = [];
    let attempted = 0;
    let killed = false;
    // Eight clients register as fast as they can; the node is killed while they are at it.
    const client = async (c: number) => {
      for (let i = 0; i < 500 && !killed; i++) {
        const username = `c${c}-u${i}`;
        attempted++;
        try {
          const res = await fetch(`${node.url}/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username, addr: `10.0.${c}.${i % 250}:9000` }),
          });
          if (res.status === 200) acknowledged.push(username);
        } catch {
          return; // the node is gone
        }
      }
    };
    const clients = Promise.all(Array.from({ length: 8 }, (_, c) => client(c)));
    while (acknowledged.length < 200 && node.running) await new Promise((r) => setTimeout(r, 5));
    killed = true;
    await node.kill();
    await clients;
    expect(acknowledged.length).toBeGreaterThanOrEqual(200);

    node = start(s);
    await node.waitUntilServing();
    // Serving is not leading: /users answers 200 only once the node has elected itself and
    // committed its term's first entry, which on a loaded machine comes after the first poll.
    const body = await waitFor('the restarted node to lead and answer /users', async () => {
      const res = await fetch(`${node.url}/users`);
      if (res.status !== 200) return undefined;
      return (await res.json()) as { users: { username: string }[]; count: number };
    });
    const stored = new Set(body.users.map((u) => u.username));
    const lost = acknowledged.filter((u) => !stored.has(u));
    expect(lost).toEqual([]);
    // Nothing appears that was never attempted.
    expect(body.count).toBeLessThanOrEqual(attempted);
  });
});
