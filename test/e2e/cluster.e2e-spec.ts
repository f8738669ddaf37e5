import { TestCluster } from '../support/cluster';
import { waitFor } from '../support/poll';
import { parseMetrics } from '../support/prometheus';

interface ClusterBody {
  nodes: {
    node: string;
    api: string | null;
    role: string;
    term: number | null;
    cpu: number | null;
    background: number | null;
    last_contact_ms: number | null;
    reachable: boolean;
  }[];
  leader: string | null;
  term: number;
  registered_count: number;
  online_count: number;
  drive: { enabled: boolean; pending_writes: number };
}

/** GET /cluster on real processes: what each node, leader or follower, knows of the others. */
describe('GET /cluster across real processes', () => {
  let cluster: TestCluster;
  afterEach(() => cluster?.stop());

  const view = async (i: number): Promise<ClusterBody> => {
    const res = await fetch(`${cluster.url(i)}/cluster`, { signal: AbortSignal.timeout(1000) });
    expect(res.status).toBe(200);
    return (await res.json()) as ClusterBody;
  };
  const post = (i: number, route: string, body: object) =>
    fetch(`${cluster.url(i)}${route}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('lists every node with one leader and the counts, on the leader and on a follower; a killed leader shows unreachable', async () => {
    // Each machine's load pinned at 60 (CPU_LOAD_FILE): every node's own process is taken off it.
    cluster = await new TestCluster({ size: 3, loads: [60, 60, 60] }).start();
    const leader = await cluster.waitForLeader();
    const leaderId = cluster.ids[leader];
    expect(
      (await post(leader, '/register', { username: 'alice', addr: '10.0.0.1:9000' })).status,
    ).toBe(200);
    expect(
      (await post(leader, '/register', { username: 'bob', addr: '10.0.0.2:9000' })).status,
    ).toBe(200);
    expect((await post(leader, '/heartbeat', { username: 'alice' })).status).toBe(200);

    const sortedIds = [...cluster.ids].sort();
    for (const i of [0, 1, 2]) {
      // A follower learns its fellow follower's API from keepalives and the counts from the
      // log and presence sync: poll until it has.
      const body = await waitFor(`node ${i}'s view of the whole cluster`, async () => {
        const v = await view(i);
        const settled =
          v.registered_count === 2 &&
          v.online_count === 1 &&
          v.nodes.every((n) => n.reachable && n.api !== null && n.background !== null);
        return settled ? v : undefined;
      });
      expect(body.leader).toBe(leaderId);
      expect(body.term).toBeGreaterThan(0);
      expect(body.drive).toMatchObject({ enabled: false, pending_writes: 0 });
      expect(body.nodes.map((n) => n.node)).toEqual(sortedIds);
      expect(body.nodes.filter((n) => n.role === 'leader').map((n) => n.node)).toEqual([leaderId]);
      for (const n of body.nodes) {
        const j = cluster.ids.indexOf(n.node);
        expect(n.api).toBe(cluster.url(j));
        if (j !== leader) expect(n.role).toBe('follower');
        expect(n.last_contact_ms).toBeGreaterThanOrEqual(0);
        expect(n.cpu).toBe(60);
        expect(n.background).toBeGreaterThanOrEqual(0);
        expect(n.background).toBeLessThanOrEqual(60);
      }
      const own = body.nodes.find((n) => n.node === cluster.ids[i]);
      expect(own).toMatchObject({ last_contact_ms: 0, reachable: true, term: body.term });
      // A live process spends some CPU in every sampling window: less than the machine's 60.
      expect(own!.background).toBeLessThan(60);
      expect(body.nodes.find((n) => n.node === leaderId)?.term).toBe(body.term);
    }

    // The leader times heartbeat round trips to each follower; a follower does not lead.
    const metrics = async (i: number) =>
      parseMetrics(await (await fetch(`${cluster.url(i)}/metrics`)).text());
    const onLeader = await metrics(leader);
    expect(onLeader.get('rollcall_is_leader')).toBe(1);
    for (const i of [0, 1, 2].filter((j) => j !== leader)) {
      expect(
        onLeader.get(`rollcall_peer_rtt_seconds_count{peer="${cluster.ids[i]}"}`),
      ).toBeGreaterThan(0);
      const onFollower = await metrics(i);
      expect(onFollower.get('rollcall_is_leader')).toBe(0);
      expect(onFollower.get('rollcall_registered_users')).toBe(2);
      expect(onFollower.get('rollcall_term')).toBe(onLeader.get('rollcall_term'));
    }

    await cluster.node(leader).kill();
    cluster.nodes[leader] = null;
    const survivors = [0, 1, 2].filter((i) => i !== leader);
    const next = await cluster.waitForLeader(survivors);
    for (const i of survivors) {
      const body = await waitFor(`node ${i} to see ${leaderId} gone`, async () => {
        const v = await view(i);
        const dead = v.nodes.find((n) => n.node === leaderId);
        return dead && !dead.reachable && v.leader === cluster.ids[next] ? v : undefined;
      });
      expect(body.nodes.filter((n) => n.role === 'leader').map((n) => n.node)).toEqual([
        cluster.ids[next],
      ]);
      expect(body.nodes.find((n) => n.node === leaderId)?.role).toBe('unknown');
      expect(body.nodes.filter((n) => n.reachable).map((n) => n.node)).toEqual(
        survivors.map((s) => cluster.ids[s]).sort(),
      );
      expect(body.registered_count).toBe(2);
    }
  });
});
