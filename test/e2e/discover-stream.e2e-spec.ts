import { TestCluster } from '../support/cluster';
import { waitFor } from '../support/poll';
import { postJson } from '../support/post-json';
import { SseReader } from '../support/sse-reader';

/** The status of a client's POST. */
const post = async (url: string, path: string, body: unknown, token?: string) =>
  (await postJson(url, path, body, { token })).status;

/** Registers and returns the client's token, which a move to another addr needs. */
const register = async (url: string, username: string, addr: string) => {
  const r = await fetch(`${url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, addr }),
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as { token: string }).token;
};

describe('GET /discover/stream on a real node', () => {
  let cluster: TestCluster;
  const readers: SseReader[] = [];
  const open = (url: string, lastEventId?: string) => {
    const r = new SseReader(`${url}/discover/stream`, lastEventId);
    readers.push(r);
    return r;
  };
  afterEach(async () => {
    readers.splice(0).forEach((r) => r.close());
    await cluster?.stop();
  });

  it('sends a snapshot, then online and offline events with increasing ids, and resumes without loss', async () => {
    // A short timeout so that a client goes offline while the test watches.
    cluster = await new TestCluster({ size: 1, extra: 'client_timeout_ms = 1500' }).start();
    const url = cluster.url(await cluster.waitForLeader());
    expect(await post(url, '/register', { username: 'alice', addr: '10.0.0.1:9000' })).toBe(200);
    const bobToken = await register(url, 'bob', '10.0.0.2:9000');
    expect(await post(url, '/heartbeat', { username: 'alice' })).toBe(200);

    const first = open(url);
    expect(await first.waitForStatus()).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/event-stream/);
    const [snapshot] = await first.waitForEvents(1);
    expect(snapshot.event).toBe('snapshot');
    expect(snapshot.data).toMatchObject({
      online_clients: [{ username: 'alice', addr: '10.0.0.1:9000' }],
      count: 1,
    });

    // A second client takes its snapshot and leaves; it resumes after everything below.
    const second = open(url);
    const [{ id: secondLast }] = await second.waitForEvents(1);
    expect(secondLast).toBe(snapshot.id);
    second.close();

    expect(await post(url, '/heartbeat', { username: 'bob' })).toBe(200);
    // bob moves: a new address is news, a plain refresh is not.
    const moved = { username: 'bob', addr: '10.0.0.3:9000' };
    expect(await post(url, '/heartbeat', moved, bobToken)).toBe(200);
    expect(await post(url, '/heartbeat', moved, bobToken)).toBe(200);
    const events = await first.waitForEvents(3, 'two online events');
    expect(events.slice(1).map((e) => [e.event, e.data])).toEqual([
      ['online', { username: 'bob', addr: '10.0.0.2:9000' }],
      ['online', { username: 'bob', addr: '10.0.0.3:9000' }],
    ]);

    const all = await first.waitForEvents(5, 'alice and bob going offline');
    expect(
      all
        .slice(3)
        .map((e) => [e.event, e.data])
        .sort(),
    ).toEqual([
      ['offline', { username: 'alice' }],
      ['offline', { username: 'bob' }],
    ]);
    const seqs = all.map((e) => Number(e.id!.split('-')[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs.slice(1)).size).toBe(4);

    const resumed = open(url, secondLast);
    // Everything after the second client's snapshot, exactly as the first client saw it.
    await resumed.waitForEvents(4, 'the missed events');
    expect(resumed.events.map((e) => [e.event, e.id, e.data])).toEqual(
      all.slice(1).map((e) => [e.event, e.id, e.data]),
    );

    // An id this leader cannot resume from gets a fresh snapshot.
    const stale = open(url, '999-1');
    const [fresh] = await stale.waitForEvents(1);
    expect(fresh.event).toBe('snapshot');
    expect(fresh.data).toMatchObject({ online_clients: [], count: 0 });
    expect(fresh.id).toBe(all[4].id);
  });

  it('answers 403 on a follower, naming the leader, and ends streams when the leader steps down', async () => {
    cluster = await new TestCluster({ size: 3 }).start();
    const leader = await cluster.waitForLeader();
    const follower = [0, 1, 2].find((i) => i !== leader)!;
    const refused = open(cluster.url(follower));
    expect(await refused.waitForStatus()).toBe(403);
    await waitFor('the body', () => refused.ended);
    expect(JSON.parse(refused.body)).toMatchObject({
      success: false,
      leader_api: cluster.url(leader),
    });

    const stream = open(cluster.url(leader));
    await stream.waitForEvents(1);
    // SIGTERM hands leadership over: the old leader's stream must end, not hang.
    cluster.node(leader).signal('SIGTERM');
    await waitFor('the stream to end', () => stream.ended);
    expect((await cluster.node(leader).exited).code).toBe(0);
  });
});
