import { ClientLoad } from '../support/client-load';
import { TestCluster } from '../support/cluster';
import { DocProcedure, exampleMachines, flagOf, type Substitute } from '../support/doc-procedure';
import { waitFor } from '../support/poll';
import { memberRows, rollcall } from '../support/rollcall-cli';

const TOKEN = 'e2e-admin-token-0123456789';

/**
 * docs/operations.md's "Replace a dead machine", step by step, on real processes: the leader's
 * process is killed (kill -9, its data as good as gone), and a new machine at another address,
 * with an empty data directory, takes its place. The commands come from the page itself, with
 * this cluster's addresses in place of the examples'. SDK clients register and heartbeat all
 * along; the new member ends holding every user the cluster acknowledged.
 */
describe('replace a kill -9ed member with a new machine at another address', () => {
  const replace = DocProcedure.read('Replace a dead machine');
  let cluster: TestCluster;
  let load: ClientLoad;
  let members = [0, 1, 2];
  let dead = -1;
  const NEW = 3;

  /**
   * The page's machines: 127.0.0.1:8082 died, 127.0.0.1:8083 replaces it, and the others
   * (the --join target among them) are the members still alive.
   */
  const sub: Substitute = (command) =>
    exampleMachines((i) => {
      const alive = members.filter((m) => m !== dead && m !== NEW);
      const index = i === 2 ? dead : i === 3 ? NEW : alive[i];
      return { node: cluster.ids[index], api: cluster.url(index) };
    })(command);

  const cli = (args: string[]) =>
    rollcall(args, { endpoints: members.map((i) => cluster.url(i)), token: TOKEN });

  async function runStep(step: number) {
    const results = [];
    for (const args of replace.rollcall(step, sub)) {
      const result = await cli(args);
      expect([result.code, result.err]).toEqual([0, '']);
      results.push(result);
    }
    return results;
  }

  async function usersOn(i: number): Promise<Set<string> | undefined> {
    const res = await fetch(`${cluster.url(i)}/users`);
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as { users: { username: string }[] };
    return new Set(body.users.map((u) => u.username));
  }

  beforeAll(async () => {
    cluster = await new TestCluster({
      size: 3,
      spares: 1,
      // Each member answers /users from its own copy: the test reads the new member's.
      extra: 'follower_reads = true',
      env: { ADMIN_TOKEN: TOKEN },
    }).start();
    await cluster.waitForLeader(members);
    load = new ClientLoad({
      nodes: [0, 1, 2, 3].map((i) => cluster.url(i)),
      clients: 4,
      heartbeatEveryMs: 300,
      // Rounds take 300 ms at least: maxDurationMs ends the load first, this bounds the count.
      maxHeartbeatsPerClient: 400,
      registerEveryMs: 150,
      maxRegistrations: 300,
      maxDurationMs: 120_000,
    });
    load.start();
    await waitFor('every client registered and heartbeating', () => load.lastBeatAckAt.size === 4);
  });

  afterAll(async () => {
    await load?.stop();
    await cluster?.stop();
  });

  it('goes on serving once its leader is killed (kill -9)', async () => {
    dead = await cluster.waitForLeader(members);
    await cluster.node(dead).kill();
    const acked = load.registered.size;
    await cluster.waitForLeader(members.filter((i) => i !== dead));
    await waitFor('registrations acknowledged again', () => load.registered.size > acked, 20_000);
  });

  it('replaces it by the procedure, step by step', async () => {
    // Step 1: the leader no longer hears the dead member.
    await waitFor(`${cluster.ids[dead]} listed unreachable`, async () => {
      const [args] = replace.rollcall(1, sub);
      const { code, out } = await cli(args);
      const row = code === 0 ? memberRows(out).find((r) => r.node === cluster.ids[dead]) : null;
      return row?.reachable === false;
    });
    // Step 2: remove it.
    const [removed] = await runStep(2);
    expect(memberRows(removed.out).map((r) => r.node)).not.toContain(cluster.ids[dead]);
    members = members.filter((i) => i !== dead);
    // Step 3: add the new machine as a learner.
    const [added] = await runStep(3);
    expect(memberRows(added.out)).toContainEqual(
      expect.objectContaining({ node: cluster.ids[NEW], role: 'learner' }),
    );
    // Step 4: start it, empty data directory, with the page's --join (a live member's API).
    const start = replace.command(4, 'node', sub);
    expect(flagOf(start, '--this-node')).toBe(cluster.ids[NEW]);
    const join = flagOf(start, '--join')!;
    expect(members.map((i) => cluster.url(i))).toContain(join);
    cluster.startNode(NEW, { JOIN: join });
    await cluster.node(NEW).waitUntilServing();
    // Step 5: promote it (repeating while it is behind), then list: a reachable voter.
    const [promote, list] = replace.rollcall(5, sub);
    await waitFor(
      `${cluster.ids[NEW]} promoted`,
      async () => (await cli(promote)).code === 0,
      20_000,
    );
    members = [...members, NEW];
    const listed = await cli(list);
    expect(listed.code).toBe(0);
    const rows = memberRows(listed.out);
    expect(rows.map((r) => r.node).sort()).toEqual(members.map((i) => cluster.ids[i]).sort());
    expect(rows.every((r) => r.role === 'voter' && r.reachable)).toBe(true);
    expect(replace.stepsNotTaken()).toEqual([]);
  });

  it('the new member holds every user the cluster acknowledged', async () => {
    const registeredBefore = load.registered.size;
    await waitFor('a registration acknowledged by the new membership', () => {
      return load.registered.size > registeredBefore;
    });
    await load.stop();
    const acknowledged = [...load.registered];
    await waitFor(`every acknowledged user on ${cluster.ids[NEW]}`, async () => {
      const held = await usersOn(NEW);
      return held !== undefined && acknowledged.every((name) => held.has(name));
    });
    expect((await cluster.health(NEW))?.membership.role).toBe('voter');
  });
});
