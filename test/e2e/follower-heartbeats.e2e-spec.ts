import { RollcallClient } from '../../src/sdk';
import { TestCluster } from '../support/cluster';
import { waitFor } from '../support/poll';
import { postJson } from '../support/post-json';

interface Discover {
  online_clients: { username: string }[];
  count: number;
}

const CLIENTS = 300;
/** Each client's bound: a heartbeat a second for at most this many. */
const MAX_BEATS = 120;

const post = (url: string, path: string, body: unknown) =>
  postJson(url, path, body, { timeoutMs: 5000 });

/** Names on `url`'s /discover, or undefined when it does not answer 200. */
async function onlineAt(url: string): Promise<Set<string> | undefined> {
  const res = await fetch(`${url}/discover`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) return undefined;
  return new Set(((await res.json()) as Discover).online_clients.map((c) => c.username));
}

/**
 * SDK clients in follower mode, each heartbeating through the node its name hashes to and
 * moving to the next when that one fails it; what each got a 200 for, and when.
 */
class Population {
  /** Client name to the time of its last 200. */
  readonly acked = new Map<string, number>();
  private readonly stop$ = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(readonly names: string[]) {}

  start(nodes: string[]): void {
    this.loops = this.names.map((username) => {
      const client = new RollcallClient({
        nodes,
        username,
        followerMode: true,
        retryBudgetMs: 3000,
        requestTimeoutMs: 3000,
      });
      return this.run(client, username);
    });
  }

  async stop(): Promise<void> {
    this.stop$.abort();
    await Promise.all(this.loops);
  }

  /** Clients with a 200 at or after `since`. */
  ackedSince(since: number): number {
    return [...this.acked.values()].filter((at) => at >= since).length;
  }

  private async run(client: RollcallClient, name: string): Promise<void> {
    for (let i = 0; i < MAX_BEATS && !this.stop$.signal.aborted; i++) {
      try {
        await client.heartbeat();
        this.acked.set(name, Date.now());
      } catch {
        // Its retry budget ran out during a failover: the next round tries again.
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

describe('follower heartbeats', () => {
  let cluster: TestCluster;
  let population: Population | undefined;
  afterEach(async () => {
    await population?.stop();
    population = undefined;
    await cluster?.stop();
  });

  it('lose no acknowledged client across kill -9 of a follower and of the leader', async () => {
    cluster = await new TestCluster({
      size: 3,
      extra: 'follower_heartbeats = true\nclient_timeout_ms = 60000',
    }).start();
    const leader = await cluster.waitForLeader();
    const names = Array.from({ length: CLIENTS }, (_, i) => `fh-${i}`);
    for (let i = 0; i < names.length; i += 20) {
      const batch = names.slice(i, i + 20);
      const answers = await Promise.all(
        batch.map((username) =>
          post(cluster.url(leader), '/register', { username, addr: '10.3.0.1:9000' }),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(batch.map(() => 200));
    }
    const followers = [0, 1, 2].filter((i) => i !== leader);
    population = new Population(names);
    population.start(followers.map((f) => cluster.url(f)));
    await waitFor('every client acknowledged', () => population!.acked.size === CLIENTS, 30_000);
    // The leader's /cluster shows each follower's heartbeats as passed on; a follower counts its own.
    await waitFor('the followers’ rates on the leader', async () => {
      const res = await fetch(`${cluster.url(leader)}/cluster`);
      const view = (await res.json()) as { nodes: { node: string; heartbeats_per_s: number }[] };
      const rates = followers.map((f) => view.nodes.find((n) => n.node === cluster.ids[f]));
      return rates.every((r) => (r?.heartbeats_per_s ?? 0) > 0);
    });
    const metrics = await (await fetch(`${cluster.url(followers[0])}/metrics`)).text();
    expect(
      Number(/rollcall_heartbeats_total\{via="follower"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThan(0);

    // kill -9 of a follower: its clients move on; the leader still lists everyone acknowledged.
    const [gone, kept] = followers;
    await cluster.node(gone).kill();
    cluster.nodes[gone] = null;
    const killedAt = Date.now();
    await waitFor(
      'every client acknowledged again',
      () => population!.ackedSince(killedAt) === CLIENTS,
      30_000,
    );
    const afterFollower = await onlineAt(cluster.url(leader));
    expect(names.filter((n) => !afterFollower?.has(n))).toEqual([]);

    // kill -9 of the leader, once the follower is back: the next leader lists everyone.
    cluster.startNode(gone);
    await cluster.node(gone).waitUntilServing();
    await cluster.waitForLeader();
    const acknowledged = [...population.acked.keys()];
    await cluster.node(leader).kill();
    cluster.nodes[leader] = null;
    const next = await cluster.waitForLeader([gone, kept], 20_000);
    const afterLeader = await waitFor('the next leader’s /discover', () =>
      onlineAt(cluster.url(next)),
    );
    expect(acknowledged.filter((n) => !afterLeader.has(n))).toEqual([]);
    // And every client that got a 200 since, from whichever node, is there too.
    await population.stop();
    const finalList = await waitFor('the next leader’s /discover', () =>
      onlineAt(cluster.url(next)),
    );
    expect([...population.acked.keys()].filter((n) => !finalList.has(n))).toEqual([]);
  }, 120_000);

  it('stops a follower cut off from the leader from answering heartbeats and reads', async () => {
    cluster = await new TestCluster({
      size: 3,
      proxied: true,
      extra: 'follower_heartbeats = true\nfollower_reads = true\nfollower_read_max_lag_ms = 200',
    }).start();
    const leader = await cluster.waitForLeader();
    expect(
      (await post(cluster.url(leader), '/register', { username: 'cut', addr: '10.3.0.2:1' }))
        .status,
    ).toBe(200);
    const follower = [0, 1, 2].find((i) => i !== leader)!;
    const url = cluster.url(follower);
    const first = await waitFor('a heartbeat through the follower', async () => {
      const res = await post(url, '/heartbeat', { username: 'cut' });
      return res.status === 200 ? res : undefined;
    });
    expect(first.headers.get('rollcall-via')).toBe(cluster.ids[follower]);
    const read = await waitFor('a read from the follower', async () => {
      const res = await fetch(`${url}/discover`);
      return res.status === 200 ? res : undefined;
    });
    expect(Number(read.headers.get('rollcall-lag-ms'))).toBeLessThanOrEqual(200);
    expect(((await read.json()) as { is_leader: boolean }).is_leader).toBe(false);

    cluster.mesh!.cut(cluster.ids[follower], cluster.ids[leader]);
    cluster.mesh!.cut(cluster.ids[leader], cluster.ids[follower]);
    // Nothing sent after the cut can reach the leader, so nothing sent after it may get a 200;
    // each is answered, with a 503 the client can retry elsewhere.
    const answers: { status: number; retryAfter: string | null; message: string }[] = [];
    await waitFor(
      'the follower to refuse at once',
      async () => {
        const res = await post(url, '/heartbeat', { username: 'cut' });
        const body = (await res.json()) as { message: string };
        answers.push({
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          message: body.message,
        });
        return (
          res.status === 503 && /cannot reach the leader|no leader is known/.test(body.message)
        );
      },
      20_000,
    );
    expect(answers.filter((a) => a.status !== 503 || a.retryAfter !== '1')).toEqual([]);
    // Its copy is too old to read from now: 403 naming the leader (or 503 once it has begun
    // an election of its own, which its pre-vote loses).
    const stale = await fetch(`${url}/discover`);
    expect([403, 503]).toContain(stale.status);
    expect(stale.headers.get('rollcall-lag-ms')).toBeNull();
  }, 60_000);
});
