import { TestCluster } from '../support/cluster';
import { waitFor } from '../support/poll';

interface Users {
  users: { username: string; user_id: string }[];
  count: number;
}

describe('registrations in the replicated log', () => {
  let cluster: TestCluster;
  afterEach(async () => cluster?.stop());

  const register = (url: string, username: string) =>
    fetch(`${url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, addr: '10.1.2.3:9000' }),
    }).then(
      (r) => r.status,
      () => 0,
    );

  it('loses no acknowledged registration when the leader is killed under load', async () => {
    cluster = await new TestCluster({ size: 3 }).start();
    let leader = await cluster.waitForLeader();
    const acknowledged: string[] = [];
    let stop = false;
    // Eight clients register against whoever leads; bounded in count.
    const client = async (c: number) => {
      for (let i = 0; i < 300 && !stop; i++) {
        const username = `c${c}-u${i}`;
        if ((await register(cluster.url(leader), username)) === 200) acknowledged.push(username);
      }
    };
    const clients = Promise.all(Array.from({ length: 8 }, (_, c) => client(c)));
    await waitFor('some registrations acknowledged', () => acknowledged.length >= 100);
    const old = leader;
    await cluster.node(old).kill();
    cluster.nodes[old] = null;
    const survivors = [0, 1, 2].filter((i) => i !== old);
    leader = await cluster.waitForLeader(survivors);
    stop = true;
    await clients;

    const onLeader = (await (await fetch(`${cluster.url(leader)}/users`)).json()) as Users;
    const stored = new Set(onLeader.users.map((u) => u.username));
    expect(acknowledged.filter((u) => !stored.has(u))).toEqual([]);
    // No name committed twice.
    expect(stored.size).toBe(onLeader.count);

    // The killed node comes back from its data directory and catches up with everything.
    cluster.startNode(old);
    await cluster.node(old).waitUntilServing();
    const follower = survivors.find((i) => i !== leader)!;
    await waitFor('every node holds every user', async () => {
      type Caught = { registered_count: number; log: { commit_lag: number } };
      const hs = (await Promise.all(
        [old, follower].map((i) => cluster.health(i)),
      )) as unknown as (Caught | null)[];
      return hs.every((h) => h?.registered_count === onLeader.count && h.log.commit_lag === 0);
    });
  });

  it('keeps every user when the whole cluster restarts from its data directories', async () => {
    cluster = await new TestCluster({ size: 3 }).start();
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 20; i++) expect(await register(cluster.url(leader), `user-${i}`)).toBe(200);
    await Promise.all([0, 1, 2].map((i) => cluster.node(i).kill()));
    for (const i of [0, 1, 2]) cluster.startNode(i);
    await Promise.all([0, 1, 2].map((i) => cluster.node(i).waitUntilServing()));
    const next = await cluster.waitForLeader();
    const body = (await (await fetch(`${cluster.url(next)}/users`)).json()) as Users;
    expect(body.users.map((u) => u.username).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `user-${i}`).sort(),
    );
  });
});
