import { RollcallClient } from '../../../src/sdk';
import { fnv1a } from '../../../src/sdk/spread-transport';
import { FakeNode, json } from './fake-node';

const OK = { success: true, message: 'ok' };

describe('RollcallClient in follower mode', () => {
  const nodes: FakeNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });
  const start = async (n: number) => {
    for (let i = 0; i < n; i++) {
      nodes.push(await new FakeNode((_req, _body, res) => json(res, 200, OK)).start());
    }
    return nodes.map((n) => n.url);
  };
  const client = (username: string, urls: string[]) =>
    new RollcallClient({
      username,
      nodes: urls,
      followerMode: true,
      random: () => 0.5,
      sleep: () => Promise.resolve(),
    });
  const beatsAt = (i: number) => nodes[i].requests.filter((r) => r.url === '/heartbeat').length;

  it('hashes names with FNV-1a', () => {
    // Reference values of 32-bit FNV-1a.
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('sends each client’s heartbeats to the node its name hashes to, every time', async () => {
    const urls = await start(3);
    const names = Array.from({ length: 30 }, (_, i) => `client-${i}`);
    for (const name of names) {
      const c = client(name, urls);
      await c.heartbeat();
      await c.heartbeat();
      expect(c.heartbeatNode).toBe(urls[fnv1a(name) % 3]);
    }
    const expected = [0, 1, 2].map((i) => 2 * names.filter((n) => fnv1a(n) % 3 === i).length);
    expect([0, 1, 2].map(beatsAt)).toEqual(expected);
    expect(expected.every((n) => n > 0)).toBe(true); // thirty names reach every node
  });

  it('moves to the next node on a 503 or an unreachable node, and stays there', async () => {
    const urls = await start(3);
    const name = 'mover';
    const home = fnv1a(name) % 3;
    const next = (home + 1) % 3;
    nodes[home].answer((_req, _body, res) =>
      json(
        res,
        503,
        { success: false, message: 'cannot reach the leader' },
        { 'retry-after': '1' },
      ),
    );
    const c = client(name, urls);
    await c.heartbeat();
    expect(c.heartbeatNode).toBe(urls[next]);
    await c.heartbeat();
    expect([beatsAt(home), beatsAt(next)]).toEqual([1, 2]);
    await nodes[next].stop();
    await c.heartbeat();
    expect(c.heartbeatNode).toBe(urls[(next + 1) % 3]);
  });

  it('sends to the leader what a node answers 403, and stays on its node', async () => {
    const urls = await start(3);
    const name = 'newcomer';
    const home = fnv1a(name) % 3;
    const leader = (home + 1) % 3;
    nodes[home].answer((_req, _body, res) =>
      json(res, 403, {
        success: false,
        message: 'This node is not the leader.',
        current_leader: 'x',
        leader_api: urls[leader],
      }),
    );
    const c = client(name, urls);
    await c.heartbeat();
    expect([beatsAt(home), beatsAt(leader)]).toEqual([1, 1]);
    expect(c.heartbeatNode).toBe(urls[home]);
  });

  it('reads /discover from the first node that answers', async () => {
    const urls = await start(3);
    for (const n of nodes) {
      n.answer((_req, _body, res) =>
        json(res, 200, { online_clients: [], count: 0, is_leader: false }),
      );
    }
    await nodes[0].stop();
    const c = client('reader', urls);
    expect(await c.discover()).toEqual([]);
    expect(await c.discover()).toEqual([]);
    expect(nodes[1].requests.map((r) => r.url)).toEqual(['/discover', '/discover']);
    expect(nodes[2].requests).toEqual([]);
  });
});
