import type { HealthDto } from '../../src/health/health.dto';
import { ClientLoad } from '../support/client-load';
import { TestCluster } from '../support/cluster';
import { DocProcedure, exampleMachines, flagOf, type Substitute } from '../support/doc-procedure';
import { waitFor } from '../support/poll';
import { memberRows, rollcall } from '../support/rollcall-cli';

const TOKEN = 'e2e-admin-token-0123456789';
/** The cluster's client_timeout_ms: a client is online this long after its heartbeat. */
const ONLINE_WINDOW_MS = 30_000;

interface Discovered {
  online_clients: { username: string }[];
  is_leader: boolean;
}

/**
 * docs/operations.md's "Grow 3 -> 5" and "Retire a node" procedures, step by step, on real
 * processes while SDK clients register and heartbeat throughout: the commands come from the
 * page itself (DocProcedure), with this cluster's addresses in place of the examples'. Then
 * every acknowledged registration is on every member left, and every client whose heartbeat
 * was acknowledged within the online window is in the leader's /discover.
 */
describe('grow 3 -> 5, then retire the leader and one more, under client load', () => {
  const grow = DocProcedure.read('Grow 3 -> 5');
  const retire = DocProcedure.read('Retire a node (shrink 5 -> 3)');
  let cluster: TestCluster;
  let load: ClientLoad;
  /** The members, by index in `cluster`: ROLLCALL_ENDPOINTS as the procedures keep it. */
  let members = [0, 1, 2];
  let acksBeforeChanges = { registered: 0, heartbeats: 0 };

  /** The example machine `i` of the page is the test's machine `playedBy(i)`. */
  const machines = (playedBy: (i: number) => number): Substitute =>
    exampleMachines((i) => ({ node: cluster.ids[playedBy(i)], api: cluster.url(playedBy(i)) }));

  const cli = (args: string[]) =>
    rollcall(args, { endpoints: members.map((i) => cluster.url(i)), token: TOKEN });

  async function runStep(procedure: DocProcedure, step: number, sub: Substitute) {
    const results = [];
    for (const args of procedure.rollcall(step, sub)) {
      const result = await cli(args);
      expect([result.code, result.err]).toEqual([0, '']);
      results.push(result);
    }
    return results;
  }

  beforeAll(async () => {
    cluster = await new TestCluster({
      size: 3,
      spares: 2,
      // Each member answers /users from its own copy: the test reads every member's.
      extra: `follower_reads = true\nclient_timeout_ms = ${ONLINE_WINDOW_MS}`,
      env: { ADMIN_TOKEN: TOKEN },
    }).start();
    await cluster.waitForLeader(members);
    load = new ClientLoad({
      nodes: [0, 1, 2, 3, 4].map((i) => cluster.url(i)),
      clients: 8,
      heartbeatEveryMs: 200,
      // Rounds take 200 ms at least: maxDurationMs ends the load first, this bounds the count.
      maxHeartbeatsPerClient: 750,
      registerEveryMs: 100,
      maxRegistrations: 400,
      maxDurationMs: 150_000,
    });
    load.start();
    await waitFor('every client registered and heartbeating', () => load.lastBeatAckAt.size === 8);
    acksBeforeChanges = { registered: load.registered.size, heartbeats: load.heartbeatsAcked };
  });

  afterAll(async () => {
    await load?.stop();
    await cluster?.stop();
  });

  it.each([3, 4])('grows: machine %i joins as a learner and is promoted', async (added) => {
    const sub = machines((i) => (i === 3 ? added : i));
    // Step 1: add it as a learner.
    const [addedList] = await runStep(grow, 1, sub);
    expect(memberRows(addedList.out)).toContainEqual(
      expect.objectContaining({ node: cluster.ids[added], role: 'learner' }),
    );
    // Step 2: start it with an empty data directory and the page's --join.
    const start = grow.command(2, 'node', sub);
    expect(flagOf(start, '--this-node')).toBe(cluster.ids[added]);
    cluster.startNode(added, { JOIN: flagOf(start, '--join')! });
    await cluster.node(added).waitUntilServing();
    expect(cluster.node(added).lines.some((l) => l.includes('this node is a learner'))).toBe(true);
    // Step 3: promote it, repeating while it is behind.
    await waitFor(
      `${cluster.ids[added]} promoted`,
      async () => {
        const [args] = grow.rollcall(3, sub);
        return (await cli(args)).code === 0;
      },
      20_000,
    );
    // Step 4: it is a reachable voter; its API joins ROLLCALL_ENDPOINTS.
    const [listed] = await runStep(grow, 4, sub);
    expect(memberRows(listed.out)).toContainEqual({
      node: cluster.ids[added],
      role: 'voter',
      reachable: true,
    });
    members = [...members, added];
  });

  it('took every step of "Grow 3 -> 5"', () => {
    expect(grow.stepsNotTaken()).toEqual([]);
  });

  /** Retire's steps 1-3 for member `retired`, as the page gives them. */
  async function retireMember(retired: number): Promise<void> {
    const sub = machines((i) => (i === 0 ? retired : i));
    // Step 1: remove it; the answer lists the members left.
    const [removed] = await runStep(retire, 1, sub);
    expect(memberRows(removed.out).map((r) => r.node)).not.toContain(cluster.ids[retired]);
    // Step 2: wait until it knows (GET /, the page's curl), then stop it.
    const [, , url] = retire.command(2, 'curl', sub);
    expect(url).toBe(`${cluster.url(retired)}/`);
    await waitFor(`${cluster.ids[retired]} to know it was removed`, async () => {
      const res = await fetch(url);
      return ((await res.json()) as HealthDto).membership.role === 'removed';
    });
    cluster.node(retired).signal('SIGTERM');
    await cluster.node(retired).exited;
    members = members.filter((i) => i !== retired);
    // Step 3: the members left, every one a reachable voter.
    const [left] = await runStep(retire, 3, sub);
    const rows = memberRows(left.out);
    expect(rows.map((r) => r.node).sort()).toEqual(members.map((i) => cluster.ids[i]).sort());
    expect(rows.every((r) => r.role === 'voter' && r.reachable)).toBe(true);
  }

  it('retires the leader (it hands over first), then a follower, back to 3 voters', async () => {
    // Each is chosen right before its removal: under the clients' load leadership may move.
    const leader = await cluster.waitForLeader(members);
    await retireMember(leader);
    // The node that led when asked handed over before its removal (its log is complete: it exited).
    const handedOver = cluster
      .node(leader)
      .lines.some((l) => l.includes('handed leadership to') && l.includes('before being removed'));
    expect(handedOver).toBe(true);
    const successor = await cluster.waitForLeader(members);
    await retireMember(members.find((i) => i !== successor)!);
    expect(retire.stepsNotTaken()).toEqual([]);
  });

  it('every member left holds the same membership, and the clients kept being served', async () => {
    const leader = await cluster.waitForLeader(members);
    // A follower may apply the last removal a moment after the leader: poll until all agree.
    await waitFor("every member to hold the leader's membership", async () => {
      const views = await Promise.all(members.map((i) => cluster.health(i)));
      const leaderIndex = views[members.indexOf(leader)]?.membership.config_index;
      const agreed = views.every(
        (v) => v?.membership.role === 'voter' && v.membership.config_index === leaderIndex,
      );
      if (leaderIndex === undefined || !agreed) {
        throw new Error(`views ${JSON.stringify(views.map((v) => v?.membership))}`);
      }
      return true;
    });
    expect(load.registered.size).toBeGreaterThan(acksBeforeChanges.registered);
    expect(load.heartbeatsAcked).toBeGreaterThan(acksBeforeChanges.heartbeats);
  });

  it('every acknowledged registration is on every member left', async () => {
    await load.stop();
    const acknowledged = [...load.registered];
    for (const i of members) {
      await waitFor(`every acknowledged user on ${cluster.ids[i]}`, async () => {
        const res = await fetch(`${cluster.url(i)}/users`);
        if (res.status !== 200) return false;
        const held = new Set(
          ((await res.json()) as { users: { username: string }[] }).users.map((u) => u.username),
        );
        return acknowledged.every((name) => held.has(name));
      });
    }
  });

  it('every acknowledged heartbeat still younger than the online window is in /discover', async () => {
    // Leadership may move between finding the leader and asking it: ask until the leader answers.
    const { askedAt, discovered } = await waitFor(
      'a /discover answer from the leader',
      async () => {
        const leader = await cluster.waitForLeader(members);
        const at = Date.now();
        const res = await fetch(`${cluster.url(leader)}/discover`);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as Discovered;
        return body.is_leader && { askedAt: at, discovered: body };
      },
    );
    const online = new Set(discovered.online_clients.map((c) => c.username));
    const due = [...load.lastBeatAckAt]
      .filter(([, ackAt]) => ackAt > askedAt - ONLINE_WINDOW_MS)
      .map(([name]) => name);
    expect(due.length).toBeGreaterThan(0);
    expect(due.filter((name) => !online.has(name))).toEqual([]);
  });
});
