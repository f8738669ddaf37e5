import {
  NoLeaderError,
  RollcallClient,
  type RollcallClientOptions,
  UnknownUserError,
  UnreachableError,
  UsernameTakenError,
  ValidationError,
  type WatchEvent,
} from '../../../src/sdk';
import { waitFor } from '../../support/poll';
import { closedPort, FakeNode, json } from './fake-node';

describe('RollcallClient against fake nodes over real HTTP', () => {
  const nodes: FakeNode[] = [];
  const start = async (handler: ConstructorParameters<typeof FakeNode>[0]) => {
    const node = await new FakeNode(handler).start();
    nodes.push(node);
    return node;
  };
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  /** Sleeps are recorded, not waited: the test sees every backoff the client chose. */
  const client = (opts: Partial<RollcallClientOptions> & { nodes: string[] }) => {
    const slept: number[] = [];
    let now = 0;
    const c = new RollcallClient({
      username: 'alice',
      addr: '10.0.0.1:9000',
      random: () => 0.5,
      now: () => now,
      sleep: (ms) => {
        slept.push(ms);
        now += ms;
        return Promise.resolve();
      },
      ...opts,
    });
    return { c, slept };
  };

  it("follows a follower's 403 to the leader and stays there", async () => {
    const leader = await start((_req, _body, res) =>
      json(res, 200, { success: true, user_id: 'u1' }),
    );
    const follower = await start((_req, _body, res) =>
      json(res, 403, {
        success: false,
        message: 'not leader',
        current_leader: 'x',
        leader_api: leader.url,
      }),
    );
    const { c, slept } = client({ nodes: [follower.url] });
    expect(await c.register()).toEqual({ success: true, user_id: 'u1' });
    expect(JSON.parse(leader.requests[0].body)).toEqual({
      username: 'alice',
      addr: '10.0.0.1:9000',
    });
    await c.heartbeat();
    expect(follower.requests).toHaveLength(1);
    expect(leader.requests).toHaveLength(2);
    expect(c.leader).toBe(leader.url);
    expect(slept).toEqual([]);
  });

  it('retries a 503 and a refused connection with growing, jittered pauses', async () => {
    let calls = 0;
    const node = await start((_req, _body, res) =>
      ++calls <= 2
        ? json(res, 503, { success: false, message: 'election' }, { 'retry-after': '1' })
        : json(res, 200, { success: true, message: 'ok' }),
    );
    const { c, slept } = client({ nodes: [await closedPort(), node.url] });
    await c.heartbeat();
    // Refused, 503, refused, 503, refused, 200: a 503 sends the client on to the next node,
    // which may know the leader; each pause is half its doubling ceiling (random = 0.5).
    expect(slept).toEqual([25, 50, 100, 200, 400]);
    expect(node.requests).toHaveLength(3);
  });

  it('throws NoLeaderError once the retry budget is spent, and UnreachableError if no node answers', async () => {
    const node = await start((_req, _body, res) =>
      json(res, 503, { success: false, message: 'no leader' }),
    );
    const { c, slept } = client({ nodes: [node.url], retryBudgetMs: 1000 });
    const err = await c.heartbeat().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoLeaderError);
    expect(err).toMatchObject({ status: 503, message: 'no leader' });
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
    const gone = client({ nodes: [await closedPort()], retryBudgetMs: 1000 }).c;
    await expect(gone.discover()).rejects.toBeInstanceOf(UnreachableError);
  });

  it("throws typed errors with the server's message", async () => {
    const node = await start((req, _body, res) => {
      if (req.url === '/register')
        json(res, 409, { success: false, message: "Username 'alice' is already registered" });
      else if (req.url === '/heartbeat')
        json(res, 404, { success: false, message: 'unknown alice' });
      else json(res, 400, { success: false, message: 'addr must be host:port' });
    });
    const { c } = client({ nodes: [node.url] });
    await expect(c.register()).rejects.toEqual(expect.any(UsernameTakenError));
    await expect(c.register()).rejects.toMatchObject({
      status: 409,
      message: "Username 'alice' is already registered",
    });
    await expect(c.heartbeat()).rejects.toBeInstanceOf(UnknownUserError);
    const bad = await c.discover().catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad).toMatchObject({
      status: 400,
      message: 'addr must be host:port',
      name: 'ValidationError',
    });
  });

  it('takes a 409 after an ambiguous 503 as its own registration when /users says so', async () => {
    let registers = 0;
    const node = await start((req, _body, res) => {
      if (req.url === '/users') {
        json(res, 200, {
          users: [{ user_id: 'u9', username: 'alice', addr: '10.0.0.1:9000' }],
          count: 1,
        });
      } else if (++registers === 1) json(res, 503, { success: false, message: 'leadership moved' });
      else json(res, 409, { success: false, message: 'taken' });
    });
    const { c } = client({ nodes: [node.url] });
    expect(await c.register()).toEqual({ user_id: 'u9' });
    // Without the ambiguity a 409 is someone else's name.
    await expect(c.register()).rejects.toBeInstanceOf(UsernameTakenError);
  });

  it('heartbeats in a loop with a jittered interval until stopped', async () => {
    const node = await start((_req, _body, res) => json(res, 200, { success: true }));
    const randoms = [0, 1, 0.5];
    let i = 0;
    const { c, slept } = client({
      nodes: [node.url],
      heartbeatIntervalMs: 1000,
      heartbeatJitter: 0.2,
      random: () => randoms[i++ % 3],
    });
    c.start();
    await waitFor('five heartbeats', () => node.requests.length >= 5);
    await c.stop();
    const count = node.requests.length;
    expect(slept.slice(0, 3)).toEqual([800, 1200, 1000]);
    expect(node.requests.every((r) => r.url === '/heartbeat')).toBe(true);
    // Stopped means stopped: nothing more is sent.
    await new Promise((r) => setImmediate(r));
    expect(node.requests).toHaveLength(count);
  });

  it('watches the stream, and reopens it with Last-Event-ID when it ends', async () => {
    let connection = 0;
    const node = await start((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (++connection === 1) {
        res.write(
          'event: snapshot\nid: 4-0\ndata: {"online_clients":[{"username":"a","addr":"1.1.1.1:1"}],"count":1}\n\n',
        );
        res.end('event: online\nid: 4-1\ndata: {"username":"b","addr":"2.2.2.2:2"}\n\n');
      } else {
        // Held open, as a live stream is, until the watcher stops.
        res.write(': keep-alive\n\nevent: offline\nid: 4-2\ndata: {"username":"a"}\n\n');
      }
    });
    const { c } = client({ nodes: [node.url] });
    const seen: [WatchEvent, string[]][] = [];
    const watcher = c.watch((event, online) => seen.push([event, [...online.keys()]]));
    await waitFor('three events', () => seen.length >= 3);
    await watcher.stop();
    expect(seen).toEqual([
      [{ type: 'snapshot', clients: [{ username: 'a', addr: '1.1.1.1:1' }] }, ['a']],
      [{ type: 'online', username: 'b', addr: '2.2.2.2:2' }, ['a', 'b']],
      [{ type: 'offline', username: 'a' }, ['b']],
    ]);
    expect(node.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '4-1']);
    await expect(watcher.closed).resolves.toBeUndefined();
  });

  it('reconnects after a broken connection and after a silent one', async () => {
    let connection = 0;
    const node = await start((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      connection++;
      if (connection === 1) {
        res.write('event: snapshot\nid: 2-0\ndata: {"online_clients":[],"count":0}\n\n');
        // As a killed leader's socket does: gone without ending the response.
        setImmediate(() => res.socket?.destroy());
      } else if (connection === 2) {
        res.write(': nothing more, ever\n\n');
      } else {
        res.write('event: online\nid: 2-1\ndata: {"username":"c","addr":"3.3.3.3:3"}\n\n');
      }
    });
    const { c } = client({ nodes: [node.url], streamIdleTimeoutMs: 100 });
    const seen: WatchEvent[] = [];
    const watcher = c.watch((event) => seen.push(event));
    await waitFor('the event after two reconnects', () => seen.length >= 2);
    await watcher.stop();
    expect(seen.map((e) => e.type)).toEqual(['snapshot', 'online']);
    expect(node.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '2-0', '2-0']);
  });
});
