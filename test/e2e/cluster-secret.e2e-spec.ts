import { join } from 'node:path';
import { ClusterSecret } from '../../src/common/cluster-secret';
import { TcpTransport } from '../../src/election/transport/tcp-transport';
import { emptyAppendEntries } from '../support/empty-append-entries';
import { freePorts } from '../support/free-port';
import { NodeProcess, writeClusterConfig } from '../support/node-process';
import { waitFor } from '../support/poll';
import { everythingServed } from '../support/served';
import { makeTempDir } from '../support/temp-dir';

const RIGHT = 'the secret this cluster was given at deployment';
const WRONG = 'a guess at the secret that is almost right';

interface Health {
  is_leader: boolean;
  current_leader: string | null;
  term: number;
  registered_count: number;
}

/**
 * Three real nodes share CLUSTER_SECRET; a fourth member listed in `peers` is played by this
 * test, speaking the real protocol with the real transport, first with a wrong secret, then
 * (to show the attack itself works) with the right one.
 */
describe('CLUSTER_SECRET between real nodes', () => {
  const tmp = makeTempDir('rollcall-secret-');
  const nodes: NodeProcess[] = [];
  let ids: string[];
  let impostor: string;
  let attacker: TcpTransport | null = null;

  const health = async (n: NodeProcess) => (await n.health()) as unknown as Health;
  const all = () => Promise.all(nodes.map(health));

  /** One leader among the three real nodes, named by all of them, serving leader-only routes. */
  const waitForLeader = () =>
    waitFor('one leader among the real nodes', async () => {
      const hs = await all();
      const leaders = hs.filter((h) => h.is_leader);
      if (leaders.length !== 1) return undefined;
      const leader = nodes[hs.indexOf(leaders[0])];
      if (!hs.every((h) => h.current_leader === leaders[0].current_leader)) return undefined;
      return (await fetch(`${leader.url}/users`)).status === 200 ? leader : undefined;
    });

  beforeAll(async () => {
    const ports = await freePorts(7);
    ids = ports.slice(0, 4).map((p) => `127.0.0.1:${p}`);
    impostor = ids[3];
    const config = writeClusterConfig(tmp.dir, { peers: ids });
    for (let i = 0; i < 3; i++) {
      nodes.push(
        new NodeProcess({
          config,
          thisNode: ids[i],
          apiPort: ports[4 + i],
          dataDir: join(tmp.dir, `data-${i}`),
          env: { CLUSTER_SECRET: RIGHT },
        }),
      );
    }
    await Promise.all(nodes.map((n) => n.waitUntilServing()));
  });

  afterEach(async () => {
    await attacker?.stop();
    attacker = null;
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    tmp.cleanup();
  });

  /** Plays the fourth member: claims leadership, asks for votes, orders elections, every 20 ms. */
  async function attack(secret: string): Promise<() => void> {
    const port = Number(impostor.split(':')[1]);
    attacker = new TcpTransport({
      self: impostor,
      bind: { host: '127.0.0.1', port },
      peers: ids,
      api: 'http://127.0.0.1:1',
      netTimeoutMs: 200,
      retryMs: 20,
      keepaliveMs: 50,
      random: Math.random,
      secret: new ClusterSecret(secret),
    });
    await attacker.start({ message: () => undefined, unreachable: () => undefined });
    const term = Math.max(...(await all()).map((h) => h.term)) + 50;
    const send = (message: { to: string; [field: string]: unknown }) => attacker?.send(message);
    const timer = setInterval(() => {
      for (const to of ids.slice(0, 3)) {
        const base = { from: impostor, to, term, cpu: 0 };
        send(emptyAppendEntries({ from: impostor, to, term }));
        send({
          ...base,
          type: 'RequestVote',
          lastLogIndex: 1e9,
          lastLogTerm: term,
          transfer: true,
          leaseRevokedAt: null,
        });
        send({ ...base, type: 'TimeoutNow' });
      }
    }, 20);
    return () => clearInterval(timer);
  }

  it('elects a leader and replicates a registration with every frame authenticated', async () => {
    const leader = await waitForLeader();
    const res = await fetch(`${leader.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', addr: '10.0.0.1:9000' }),
    });
    expect(res.status).toBe(200);
    await waitFor('alice on every node', async () =>
      (await all()).every((h) => h.registered_count === 1),
    );
    for (const n of nodes) {
      expect(n.lines.join('\n')).toContain(
        'peers must prove CLUSTER_SECRET and every frame is authenticated',
      );
      expect(n.lines.join('\n')).not.toContain(RIGHT);
    }
  });

  it('a member with the wrong secret changes no term and no leadership', async () => {
    const leader = await waitForLeader();
    const before = await all();
    const seen: Health[] = [];
    const stop = await attack(WRONG);
    try {
      // Until every node has turned the impostor away several times, watching all the while.
      await waitFor('every node to refuse the impostor three times', async () => {
        seen.push(...(await all()));
        return nodes.every(
          (n) =>
            n.lines.filter((l) => l.includes(`AuthHello from ${impostor} has a wrong proof`))
              .length >= 3,
        );
      });
    } finally {
      stop();
    }
    seen.push(...(await all()));
    expect(seen.length).toBeGreaterThanOrEqual(6);
    for (const h of seen) {
      expect({ term: h.term, leader: h.current_leader }).toEqual({
        term: before[0].term,
        leader: before[0].current_leader,
      });
    }
    expect((await fetch(`${leader.url}/users`)).status).toBe(200);
  });

  it('the same member with the right secret does take over: the attack above was real', async () => {
    await waitForLeader();
    const before = Math.max(...(await all()).map((h) => h.term));
    const stop = await attack(RIGHT);
    try {
      await waitFor('a node to adopt the impostor term', async () =>
        (await all()).some((h) => h.term >= before + 50),
      );
    } finally {
      stop();
    }
    await attacker?.stop();
    attacker = null;
    // Without the impostor, the three elect among themselves again.
    await waitForLeader();
  });

  it('serves the secret nowhere: no route, page, file, event or metric on any node', async () => {
    // Last, so that the events hold the elections and the refused impostor of the tests above.
    await waitForLeader();
    const forms = [
      RIGHT,
      Buffer.from(RIGHT).toString('base64'),
      Buffer.from(RIGHT).toString('base64url'),
      Buffer.from(RIGHT).toString('hex'),
      encodeURIComponent(RIGHT),
    ];
    const post = async (url: string, path: string, body: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return `${res.status}\n${[...res.headers].join('\n')}\n\n${await res.text()}`;
    };
    for (const node of nodes) {
      const served = await everythingServed(node.url);
      // Answers to writes too: a registration, a heartbeat, a bad body (a follower's are 403s).
      served.set(
        'POST /register',
        await post(node.url, '/register', {
          username: `s-${node.opts.apiPort}`,
          addr: '10.0.0.2:1',
        }),
      );
      served.set('POST /heartbeat', await post(node.url, '/heartbeat', { username: 'alice' }));
      served.set('POST /register (bad)', await post(node.url, '/register', { nope: 1 }));
      // The crawl reached what matters, on leader and followers alike.
      expect([...served.keys()]).toEqual(
        expect.arrayContaining([
          '/',
          '/cluster',
          '/cluster/events',
          '/cluster/online',
          '/metrics',
          '/docs-json',
          '/discover/stream',
          '/dashboard',
          '/dashboard/main.js',
          '/dashboard/api.js',
        ]),
      );
      expect(served.get('/cluster/events')).toMatch(/"kind":"election"/);
      const leaks = [...served].filter(([, text]) => forms.some((f) => text.includes(f)));
      expect(leaks.map(([path]) => `${node.url}${path}`)).toEqual([]);
    }
  });
});
