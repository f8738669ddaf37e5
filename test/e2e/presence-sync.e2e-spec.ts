import { TestCluster } from '../support/cluster';
import { waitFor } from '../support/poll';

interface Discover {
  online_clients: { username: string; addr: string; last_seen_ms_ago: number }[];
  count: number;
}

describe('presence across a failover', () => {
  let cluster: TestCluster;
  afterEach(async () => cluster?.stop());

  const post = (url: string, path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('streams who is online to the followers, and a new leader starts from that list', async () => {
    cluster = await new TestCluster({ size: 3 }).start();
    const leader = await cluster.waitForLeader();
    const url = cluster.url(leader);
    const names = Array.from({ length: 50 }, (_, i) => `client-${i}`);
    for (const [i, username] of names.entries()) {
      expect(
        (await post(url, '/register', { username, addr: `10.0.0.${i + 1}:9000` })).status,
      ).toBe(200);
      expect((await post(url, '/heartbeat', { username })).status).toBe(200);
    }
    // One client moved: the followers must learn its new address too.
    expect(
      (await post(url, '/heartbeat', { username: 'client-7', addr: '10.9.9.9:7000' })).status,
    ).toBe(200);
    const followers = cluster.nodes.map((_, i) => i).filter((i) => i !== leader);
    await waitFor('followers hold the list', async () => {
      const hs = await Promise.all(followers.map((i) => cluster.health(i)));
      return hs.every(
        (h) => (h as unknown as { online_clients_count: number })?.online_clients_count === 50,
      );
    });

    await cluster.node(leader).kill();
    cluster.nodes[leader] = null;
    const next = await cluster.waitForLeader(followers);
    const res = await fetch(`${cluster.url(next)}/discover`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Discover;
    expect(body.count).toBe(50);
    expect(body.online_clients.map((c) => c.username).sort()).toEqual([...names].sort());
    expect(body.online_clients.find((c) => c.username === 'client-7')?.addr).toBe('10.9.9.9:7000');
    expect(body.online_clients.find((c) => c.username === 'client-3')?.addr).toBe('10.0.0.4:9000');
  });
});
