import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RollcallClient, type WatchEvent } from '../../src/sdk';
import { TestCluster } from '../support/cluster';
import { waitFor } from '../support/poll';

const ROOT = join(__dirname, '..', '..');
const CLIENT_TIMEOUT_MS = 2000;

describe('the client SDK against a real 3-node cluster', () => {
  let cluster: TestCluster;
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await cluster?.stop();
  });

  const newClient = (username: string, addr: string, heartbeatIntervalMs = 200) => {
    const client = new RollcallClient({
      nodes: [0, 1, 2].map((i) => cluster.url(i)),
      username,
      addr,
      heartbeatIntervalMs,
    });
    cleanups.push(() => client.stop());
    return client;
  };

  it('keeps heartbeating through a leader kill and never drops out of /discover; a watcher follows', async () => {
    // A short client timeout: a client whose heartbeats lapse across the failover would drop out.
    cluster = await new TestCluster({
      size: 3,
      extra: `client_timeout_ms = ${CLIENT_TIMEOUT_MS}`,
    }).start();
    const first = await cluster.waitForLeader();
    const alice = newClient('alice', '10.1.0.1:9000');
    expect((await alice.register()).user_id).toMatch(/^[0-9a-f-]{36}$/);

    const events: WatchEvent[] = [];
    let online: string[] = [];
    const watcher = newClient('watcher', '10.1.0.9:9000').watch((event, now) => {
      events.push(event);
      online = [...now.keys()];
    });
    cleanups.push(() => watcher.stop());
    await waitFor('the first snapshot', () => events.length > 0);
    alice.start();
    await waitFor('the watcher to see alice online', () => online.includes('alice'));
    expect(events[0].type).toBe('snapshot');
    expect(events.some((e) => e.type === 'online' && e.username === 'alice')).toBe(true);
    expect((await alice.discover()).map((p) => p.username)).toEqual(['alice']);

    // Followers only know alice once the leader's presence sync has reached them.
    const followers = [0, 1, 2].filter((i) => i !== first);
    await waitFor('the followers to hold alice', async () => {
      const hs = await Promise.all(followers.map((i) => cluster.health(i)));
      return hs.every(
        (h) => (h as unknown as { online_clients_count: number })?.online_clients_count === 1,
      );
    });

    const snapshotsBefore = events.filter((e) => e.type === 'snapshot').length;
    await cluster.node(first).kill();
    cluster.nodes[first] = null;

    // Every few ms, every survivor's /discover: any node answering 200 must list alice, for
    // longer than a client timeout after the new leader first answers.
    const missing: string[] = [];
    let served = 0;
    let servingSince = 0;
    for (let round = 0; round < 20_000; round++) {
      const answers = await Promise.all(
        followers.map(async (i) => {
          const res = await fetch(`${cluster.url(i)}/discover`).catch(() => null);
          if (res?.status !== 200) return null;
          return ((await res.json()) as { online_clients: { username: string }[] }).online_clients;
        }),
      );
      for (const list of answers.filter((a) => a !== null)) {
        served++;
        servingSince ||= Date.now();
        if (!list.some((c) => c.username === 'alice')) missing.push(`round ${round}`);
      }
      if (servingSince && Date.now() - servingSince > CLIENT_TIMEOUT_MS * 1.5) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(served).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    const next = await cluster.waitForLeader(followers);
    expect(alice.leader).toBe(cluster.url(next));

    // The watcher reconnected to the new leader, whose snapshot has alice.
    await waitFor(
      'a snapshot from the new leader',
      () => events.filter((e) => e.type === 'snapshot').length > snapshotsBefore,
    );
    const last = events.filter((e) => e.type === 'snapshot').at(-1);
    expect(last).toMatchObject({
      type: 'snapshot',
      clients: [{ username: 'alice', addr: '10.1.0.1:9000' }],
    });
    expect(online).toEqual(['alice']);
  });

  it('runs examples/peer.ts: it registers, heartbeats and prints the peers it could connect to', async () => {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.examples.json'],
      {
        cwd: ROOT,
      },
    );
    cluster = await new TestCluster({ size: 3 }).start();
    await cluster.waitForLeader();
    const carol = newClient('carol', '10.3.0.1:7000');
    await carol.register();
    carol.start();

    const nodes = [0, 1, 2].map((i) => cluster.url(i)).join(',');
    const peer = spawn(
      process.execPath,
      [
        join(ROOT, '.examples-build/examples/peer.js'),
        '--username',
        'dave',
        '--addr',
        '10.3.0.2:7000',
        '--nodes',
        nodes,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // The signal too, so that a failure says what ended the process, not only that no code came.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      peer.once('exit', (code, signal) => r({ code, signal })),
    );
    cleanups.push(async () => {
      peer.kill('SIGKILL');
      await exited;
    });
    const lines: string[] = [];
    createInterface({ input: peer.stdout }).on('line', (l) => lines.push(l));
    createInterface({ input: peer.stderr }).on('line', (l) => lines.push(l));

    await waitFor('the peer list', () => lines.some((l) => l.includes('carol at 10.3.0.1:7000')));
    expect(lines).toContainEqual(
      expect.stringMatching(/^registered dave at 10\.3\.0\.2:7000 \(user_id /),
    );
    expect(lines).toContain('peers you can connect to (1):');
    // dave is online on the leader, as a peer should be.
    await waitFor('dave in /discover', async () =>
      (await carol.discover()).some((p) => p.username === 'dave' && p.addr === '10.3.0.2:7000'),
    );
    peer.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
  });
});
