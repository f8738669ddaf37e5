import { TestCluster } from '../support/cluster';
import { waitFor } from '../support/poll';
import { postJson } from '../support/post-json';

interface Discover {
  online_clients: { username: string; addr: string }[];
  count: number;
}

/** The timings: a 100 ms sync interval leaves a wide window after each acknowledgement. */
const TIMINGS = {
  heartbeatIntervalMs: 100,
  electionTimeoutMinMs: 1000,
  electionTimeoutMaxMs: 2000,
};
const CLIENTS = 20;

/**
 * Registers CLIENTS clients that are not online, then sends each one heartbeat at once and
 * returns as soon as all of them are answered (every answer must be 200).
 */
async function comeOnlineTogether(url: string, prefix: string): Promise<string[]> {
  const names = Array.from({ length: CLIENTS }, (_, i) => `${prefix}-${i}`);
  for (const [i, username] of names.entries()) {
    const res = await postJson(url, '/register', { username, addr: `10.7.0.${i + 1}:9000` });
    expect(res.status).toBe(200);
  }
  const answers = await Promise.all(
    names.map((username) => postJson(url, '/heartbeat', { username })),
  );
  expect(answers.map((r) => r.status)).toEqual(names.map(() => 200));
  return names;
}

/** The first /discover the new leader answers with 200 (503 while it has no lease yet). */
async function firstDiscover(cluster: TestCluster, node: number): Promise<Discover> {
  return waitFor(`node ${node} to answer /discover`, async () => {
    const res = await fetch(`${cluster.url(node)}/discover`);
    return res.status === 200 ? ((await res.json()) as Discover) : undefined;
  });
}

function expectAll(d: Discover, names: string[]): void {
  expect(d.online_clients.map((c) => c.username).sort()).toEqual([...names].sort());
}

describe('a heartbeat answered 200 is in the next leader’s /discover', () => {
  let cluster: TestCluster;
  afterEach(async () => cluster?.stop());

  it('after kill -9 of the leader just after the answers', async () => {
    cluster = await new TestCluster({ size: 3, ...TIMINGS }).start();
    const leader = await cluster.waitForLeader();
    const names = await comeOnlineTogether(cluster.url(leader), 'k');
    await cluster.node(leader).kill();
    cluster.nodes[leader] = null;
    const next = await cluster.waitForLeader([0, 1, 2].filter((i) => i !== leader));
    expectAll(await firstDiscover(cluster, next), names);
  });

  it('after SIGTERM of the leader just after the answers, from the list it handed over', async () => {
    cluster = await new TestCluster({ size: 3, ...TIMINGS }).start();
    const leader = await cluster.waitForLeader();
    const names = await comeOnlineTogether(cluster.url(leader), 't');
    const old = cluster.node(leader);
    old.signal('SIGTERM');
    const others = [0, 1, 2].filter((i) => i !== leader);
    const next = await waitFor('a survivor to lead', async () => {
      const hs = await Promise.all(others.map((i) => cluster.health(i)));
      const k = hs.findIndex((h) => h?.is_leader);
      return k >= 0 ? others[k] : undefined;
    });
    expectAll(await firstDiscover(cluster, next), names);
    // It served from the departing leader's list once a majority answered its ask naming that
    // list with a word: the other survivor and the departing leader (its list gained nothing
    // after its final delta) each answer so, and the first answer makes the majority.
    expect(cluster.node(next).lines.join('\n')).toMatch(
      /from the list handed over by \S+ and gathering \(.*; 1 in step with that list\)/,
    );
    await old.exited;
    cluster.nodes[leader] = null;
  });

  it('after SIGSTOP of the leader just after the answers, then kill -9', async () => {
    cluster = await new TestCluster({ size: 3, ...TIMINGS }).start();
    const leader = await cluster.waitForLeader();
    const names = await comeOnlineTogether(cluster.url(leader), 's');
    const old = cluster.node(leader);
    old.signal('SIGSTOP');
    const others = [0, 1, 2].filter((i) => i !== leader);
    const next = await waitFor('a survivor to lead', async () => {
      const hs = await Promise.all(others.map((i) => cluster.health(i)));
      const k = hs.findIndex((h) => h?.is_leader);
      return k >= 0 ? others[k] : undefined;
    });
    await old.kill();
    cluster.nodes[leader] = null;
    expectAll(await firstDiscover(cluster, next), names);
  });

  it('after the leader is cut off from the others just after the answers', async () => {
    cluster = await new TestCluster({ size: 3, proxied: true, ...TIMINGS }).start();
    const leader = await cluster.waitForLeader();
    const names = await comeOnlineTogether(cluster.url(leader), 'p');
    cluster.mesh!.isolate(cluster.ids[leader]);
    const next = await cluster.waitForLeader([0, 1, 2].filter((i) => i !== leader));
    expectAll(await firstDiscover(cluster, next), names);
  });
});
