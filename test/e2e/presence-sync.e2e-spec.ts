import { TestCluster } from '../support/cluster';
import { waitFor } from '../support/poll';
import { postJson } from '../support/post-json';

interface Discover {
  online_clients: { username: string; addr: string; last_seen_ms_ago: number }[];
  count: number;
}

describe('presence across a failover', () => {
  let cluster: TestCluster;
  afterEach(async () => cluster?.stop());

  it('streams who is online to the followers, and a new leader starts from that list', async () => {
    cluster = await new TestCluster({ size: 3 }).start();
    const leader = await cluster.waitForLeader();
    const url = cluster.url(leader);
    const names = Array.from({ length: 50 }, (_, i) => `client-${i}`);
    const tokens = new Map<string, string>();
    for (const [i, username] of names.entries()) {
      const reg = await postJson(url, '/register', { username, addr: `10.0.0.${i + 1}:9000` });
      expect(reg.status).toBe(200);
      tokens.set(username, ((await reg.json()) as { token: string }).token);
      expect((await postJson(url, '/heartbeat', { username })).status).toBe(200);
    }
    // One client moved (which takes its token): the followers must learn its new address too.
    const move = { username: 'client-7', addr: '10.9.9.9:7000' };
    expect(
      (await postJson(url, '/heartbeat', move, { token: tokens.get('client-7') })).status,
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

describe('50 clients heartbeating through a failover', () => {
  let cluster: TestCluster;
  afterEach(async () => cluster?.stop());

  it('never drop out of the new leader’s /discover', async () => {
    cluster = await new TestCluster({ size: 3, extra: 'client_timeout_ms = 3000' }).start();
    let leaderUrl = cluster.url(await cluster.waitForLeader());
    const names = Array.from({ length: 50 }, (_, i) => `hb-${i}`);
    for (const username of names) {
      const res = await fetch(`${leaderUrl}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, addr: '10.2.0.1:9000' }),
      });
      expect(res.status).toBe(200);
    }
    let stop = false;
    // Each client heartbeats every 100 ms, follows a 403 to the leader, retries a 503 or a refusal.
    const heartbeat = async (username: string) => {
      for (let i = 0; i < 400 && !stop; i++) {
        try {
          const res = await fetch(`${leaderUrl}/heartbeat`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username }),
          });
          if (res.status === 403)
            leaderUrl = ((await res.json()) as { leader_api: string }).leader_api;
          else await res.arrayBuffer();
        } catch {
          // The old leader is gone: ask the others.
          const alive = await Promise.all([0, 1, 2].map((n) => cluster.health(n)));
          const found = alive.findIndex((h) => h?.is_leader);
          if (found >= 0) leaderUrl = cluster.url(found);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const loops = Promise.all(names.map(heartbeat));
    const first = await cluster.waitForLeader();
    await waitFor('all 50 online', async () => {
      const d = (await (await fetch(`${cluster.url(first)}/discover`)).json()) as Discover;
      return d.count === 50;
    });

    // A client that came online in the last sync interval before a crash is not known to the
    // followers yet; these have been online for a while, as real clients are.
    const followers = [0, 1, 2].filter((i) => i !== first);
    await waitFor('the followers hold all 50', async () => {
      const hs = await Promise.all(followers.map((i) => cluster.health(i)));
      return hs.every(
        (h) => (h as unknown as { online_clients_count: number })?.online_clients_count === 50,
      );
    });
    await cluster.node(first).kill();
    cluster.nodes[first] = null;
    const next = await cluster.waitForLeader(followers);
    // From the first moment the new leader serves, and for the next checks, everyone is there.
    const counts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const d = (await (await fetch(`${cluster.url(next)}/discover`)).json()) as Discover;
      counts.push(d.count);
      await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    await loops;
    expect(counts).toEqual(Array.from({ length: 10 }, () => 50));
  });
});

describe('a new leader pushes every timeout back by the time without a leader', () => {
  let cluster: TestCluster;
  afterEach(async () => cluster?.stop());

  it('so clients that could not reach anyone during the election are still online', async () => {
    // The election takes longer than a client's timeout: at least election_timeout_min_ms of
    // silence after the leader stops, against a 1000 ms client timeout.
    cluster = await new TestCluster({
      size: 3,
      heartbeatIntervalMs: 50,
      electionTimeoutMinMs: 1200,
      electionTimeoutMaxMs: 1600,
      extra: 'client_timeout_ms = 1000',
    }).start();
    const leader = await cluster.waitForLeader();
    const url = cluster.url(leader);
    const names = Array.from({ length: 10 }, (_, i) => `gap-${i}`);
    for (const username of names) {
      const reg = await postJson(url, '/register', { username, addr: '10.3.0.1:9000' });
      expect(reg.status).toBe(200);
    }
    // Their last heartbeats, then the leader freezes: nobody can heartbeat until the next one.
    const beats = await Promise.all(
      names.map((username) => postJson(url, '/heartbeat', { username })),
    );
    expect(beats.map((r) => r.status)).toEqual(names.map(() => 200));
    const stoppedAt = Date.now();
    cluster.node(leader).signal('SIGSTOP');
    const others = [0, 1, 2].filter((i) => i !== leader);
    const next = await cluster.waitForLeader(others);
    const d = await waitFor('the new leader to answer /discover', async () => {
      const res = await fetch(`${cluster.url(next)}/discover`);
      return res.status === 200 ? ((await res.json()) as Discover) : undefined;
    });
    // The silence outlasted the timeout: without the push-back every client would be gone.
    expect(Date.now() - stoppedAt).toBeGreaterThan(1000);
    expect(d.online_clients.map((c) => c.username).sort()).toEqual([...names].sort());
    await cluster.node(leader).kill();
    cluster.nodes[leader] = null;
  });
});
