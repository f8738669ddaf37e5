import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestCluster } from '../support/cluster';
import { LeaderOverlapMonitor } from '../support/leader-overlap-monitor';
import { waitFor } from '../support/poll';
import { roleChanges } from '../support/role-changes';

/** Election e2e: real processes, real TCP on loopback, fast timeouts. */
describe('leader election across real processes', () => {
  let cluster: TestCluster;
  const monitors: LeaderOverlapMonitor[] = [];
  afterEach(async () => {
    await Promise.all(monitors.splice(0).map((m) => m.stop()));
    await cluster?.stop();
  });

  const others = (leader: number) => cluster.nodes.map((_, i) => i).filter((i) => i !== leader);
  const monitor = () => {
    const m = new LeaderOverlapMonitor(() => cluster.nodes.map((_, i) => cluster.url(i)));
    monitors.push(m);
    return m.start();
  };
  /** No overlap, and the monitor polled inside the window from the fault to the new leader. */
  const expectNoOverlap = (m: LeaderOverlapMonitor) => {
    expect(m.overlaps()).toEqual([]);
    expect(m.roundsInWindow()).toBeGreaterThan(0);
  };

  it('elects one leader that every node names, with its API URL', async () => {
    cluster = await new TestCluster({ size: 3 }).start();
    const leader = await cluster.waitForLeader();
    for (const i of others(leader)) {
      const res = await fetch(`${cluster.url(i)}/users`);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({
        success: false,
        message: `This node is not the leader. Current leader: ${cluster.ids[leader]}`,
        current_leader: cluster.ids[leader],
        leader_api: cluster.url(leader),
      });
    }
  });

  it.each([3, 5])(
    'replaces a leader killed with SIGKILL (%i nodes), never two at once',
    async (size) => {
      cluster = await new TestCluster({ size }).start();
      const first = await cluster.waitForLeader();
      const term = (await cluster.health(first))!.term;
      const m = monitor();
      await m.markFault();
      await cluster.node(first).kill();
      cluster.nodes[first] = null;
      const next = await cluster.waitForLeader(others(first));
      await m.stopOnceNewLeaderServed();
      expect(next).not.toBe(first);
      expect((await cluster.health(next))!.term).toBeGreaterThan(term);
      expectNoOverlap(m);
      // The survivors saw the connection drop and acted on it instead of waiting out a timeout.
      const logs = others(first).flatMap((i) => cluster.node(i).lines);
      expect(logs.some((l) => l.includes('reason: lost connection to leader'))).toBe(true);
    },
  );

  it('hands leadership over on SIGTERM before the leader exits', async () => {
    cluster = await new TestCluster({ size: 3 }).start();
    const first = await cluster.waitForLeader();
    const m = monitor();
    await m.markFault();
    cluster.node(first).signal('SIGTERM');
    expect(await cluster.node(first).exited).toEqual({ code: 0, signal: null });
    cluster.nodes[first] = null;
    const next = await cluster.waitForLeader(others(first));
    await m.stopOnceNewLeaderServed();
    expectNoOverlap(m);
    const lines = cluster.nodes.flatMap((n) => n?.lines ?? []);
    expect(lines.some((l) => l.includes(`timeout-now from ${cluster.ids[first]}`))).toBe(true);
    expect(next).not.toBe(first);
  });

  it('never lets a leader paused with SIGSTOP answer 200 after it resumes while another leads', async () => {
    cluster = await new TestCluster({ size: 3 }).start();
    const old = await cluster.waitForLeader();
    cluster.node(old).signal('SIGSTOP');
    const next = await cluster.waitForLeader(others(old));
    const codes: number[] = [];
    // Requests queued while it is paused are answered first thing after SIGCONT.
    const pending = Array.from({ length: 5 }, () =>
      fetch(`${cluster.url(old)}/users`).then((r) => codes.push(r.status)),
    );
    cluster.node(old).signal('SIGCONT');
    await Promise.all(pending);
    for (let i = 0; i < 20; i++) codes.push((await fetch(`${cluster.url(old)}/users`)).status);
    expect(codes.filter((c) => c === 200)).toEqual([]);
    const h = await waitFor('old leader follows the new one', async () => {
      const health = await cluster.health(old);
      return health?.current_leader === cluster.ids[next] ? health : undefined;
    });
    expect(h.is_leader).toBe(false);
  });

  it('keeps its term and vote across a restart', async () => {
    cluster = await new TestCluster({ size: 3 }).start();
    // The leader is the one node sure to have voted in its term: for itself.
    const leader = await cluster.waitForLeader();
    const term = (await cluster.health(leader))!.term;
    const dataDir = cluster.node(leader).opts.dataDir;
    await cluster.node(leader).kill();
    const saved = JSON.parse(readFileSync(join(dataDir, 'election-state.json'), 'utf8')) as {
      term: number;
      votedFor: string | null;
    };
    expect(saved).toMatchObject({ term, votedFor: cluster.ids[leader] });
    const again = cluster.startNode(leader);
    await again.waitUntilServing();
    expect(again.lines.join('\n')).toContain(
      `starting in term ${term}, voted for ${cluster.ids[leader]}`,
    );
    expect((await cluster.health(leader))!.term).toBeGreaterThanOrEqual(term);
  });

  describe('behind a fault-injecting proxy', () => {
    it('makes an isolated leader step down, serve nothing and acknowledge no registration; the majority elects another', async () => {
      cluster = await new TestCluster({ size: 3, proxied: true }).start();
      const old = await cluster.waitForLeader();
      const m = monitor();
      // Four clients register on the old leader throughout; bounded in count.
      const sent: { username: string; at: number; status: number }[] = [];
      let stop = false;
      const client = async (c: number) => {
        for (let i = 0; i < 500 && !stop; i++) {
          const username = `c${c}-${i}`;
          const at = performance.now();
          const status = await fetch(`${cluster.url(old)}/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username, addr: '10.0.0.1:9000' }),
          }).then(
            (r) => r.status,
            () => 0,
          );
          sent.push({ username, at, status });
        }
      };
      const clients = Promise.all([0, 1, 2, 3].map(client));
      await waitFor(
        'registrations acknowledged',
        () => sent.filter((r) => r.status === 200).length >= 20,
      );
      await m.markFault();
      const cutAt = performance.now();
      cluster.mesh!.isolate(cluster.ids[old]);
      const next = await cluster.waitForLeader(others(old));
      await waitFor('isolated leader stops serving', async () => {
        const h = await cluster.health(old);
        return h !== null && !h.is_leader;
      });
      stop = true;
      await clients;
      await m.stopOnceNewLeaderServed();
      expectNoOverlap(m);
      expect(cluster.node(old).lines.some((l) => l.includes('reason: lost quorum'))).toBe(true);
      // Cut off from the majority, it can commit nothing: no 200 for anything sent after the cut.
      const afterCut = sent.filter((r) => r.at > cutAt);
      expect(afterCut.length).toBeGreaterThan(0);
      expect(afterCut.filter((r) => r.status === 200)).toEqual([]);
      // Healing brings it back as a follower without disturbing the new leader's term.
      const term = (await cluster.health(next))!.term;
      cluster.mesh!.heal();
      await waitFor(
        'old leader rejoins',
        async () => (await cluster.health(old))?.current_leader === cluster.ids[next],
      );
      expect((await cluster.health(next))!).toMatchObject({ is_leader: true, term });
      // And what it did acknowledge, before the cut, the new leader has.
      const users = (await (await fetch(`${cluster.url(next)}/users`)).json()) as {
        users: { username: string }[];
      };
      const held = new Set(users.users.map((u) => u.username));
      expect(sent.filter((r) => r.status === 200 && !held.has(r.username))).toEqual([]);
    });

    it('behind ELECTION_BIND, never takes a refused redial to a live leader for proof that it died', async () => {
      cluster = await new TestCluster({ size: 3, proxied: true }).start();
      const leader = await cluster.waitForLeader();
      const id = cluster.ids[leader];
      const m = monitor();
      await m.markFault();
      // The leader lives; the proxy in front of it refuses its followers' redials.
      await cluster.mesh!.refuse(id);
      await waitFor('both followers refused at the leader address', () =>
        others(leader).every((i) =>
          cluster.node(i).lines.some((l) => l.includes(`peer ${id} unreachable: ECONNREFUSED`)),
        ),
      );
      // The slow way only: the leader hears no acknowledgement, loses its quorum and steps
      // down, and the followers elect another once their election timeout runs out.
      await waitFor('another node leads', async () => {
        const hs = await Promise.all(others(leader).map((i) => cluster.health(i)));
        return hs.some((h) => h?.is_leader);
      });
      await m.stopOnceNewLeaderServed();
      expectNoOverlap(m);
      expect(cluster.node(leader).lines.some((l) => l.includes('reason: lost quorum'))).toBe(true);
      const shortcuts = others(leader)
        .flatMap((i) => cluster.node(i).lines)
        .filter((l) => l.includes('reason: lost connection to leader'));
      expect(shortcuts).toEqual([]);
    });

    it('keeps a rejoining partitioned follower from disrupting a healthy leader (pre-vote)', async () => {
      cluster = await new TestCluster({
        size: 3,
        proxied: true,
        env: { LOG_LEVEL: 'debug' },
      }).start();
      const leader = await cluster.waitForLeader();
      const cut = others(leader)[0];
      const term = (await cluster.health(leader))!.term;
      cluster.mesh!.isolate(cluster.ids[cut]);
      // Long enough for the cut-off follower to run several pre-vote rounds of its own.
      await waitFor('follower notices it lost the leader', async () => {
        const h = await cluster.health(cut);
        return h !== null && h.current_leader === null;
      });
      await waitFor(
        'a few pre-vote rounds',
        () => cluster.node(cut).lines.filter((l) => l.includes('pre-vote round')).length >= 3,
      );
      cluster.mesh!.heal();
      await waitFor(
        'follower hears the leader again',
        async () => (await cluster.health(cut))?.current_leader === cluster.ids[leader],
      );
      const led = await cluster.health(leader);
      // When another term began, every node's role changes come along: they say why.
      const stayed = led?.is_leader === true && led.term === term;
      expect({ led, roleChanges: stayed ? [] : roleChanges(cluster.nodes) }).toMatchObject({
        led: { is_leader: true, term },
        roleChanges: [],
      });
      expect((await cluster.health(cut))!.term).toBe(term);
    });
  });

  describe('load awareness', () => {
    it('puts the least loaded node in the lead, at election or at the first load check', async () => {
      // Campaign timeouts favour it, but nodes learn each other's loads only as they talk, so a
      // cold start may elect another node first; the first leader_term_ms boundary then fixes it.
      cluster = await new TestCluster({ size: 3, loads: [80, 5, 60], leaderTermMs: 300 }).start();
      await waitFor('node 1 leads', async () => (await cluster.health(1))?.is_leader);
      expect(await cluster.waitForLeader()).toBe(1);
    });

    it('hands over at a leader_term_ms boundary to a clearly less loaded follower', async () => {
      // The hysteresis itself is covered by the simulator, where time is exact.
      // Node 1 stays heavier than node 0 after the shift, so node 2 is the only follower worth
      // moving to whichever of the two load changes node 0 hears first (CI, 2026-12-02: with
      // node 1 at 50, node 0 at 70 handed to node 1 before it heard that node 2 fell to 5).
      cluster = await new TestCluster({ size: 3, loads: [10, 90, 50], leaderTermMs: 300 }).start();
      // As above, a cold start may elect another node first (CI, 2026-12-01: node 2 did);
      // the first boundary puts node 0 in the lead, and the handover under test starts there.
      await waitFor('node 0 leads', async () => (await cluster.health(0))?.is_leader);
      expect(await cluster.waitForLeader()).toBe(0);
      const m = monitor();
      await m.markFault();
      cluster.setLoad(0, 70);
      cluster.setLoad(2, 5);
      await waitFor('node 2 leads', async () => (await cluster.health(2))?.is_leader);
      expect(await cluster.waitForLeader()).toBe(2);
      await m.stopOnceNewLeaderServed();
      expectNoOverlap(m);
      const lines = cluster.node(0).lines;
      expect(lines.some((l) => l.includes(`transfer to ${cluster.ids[2]} for load`))).toBe(true);
    });
  });
});
