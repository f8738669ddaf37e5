import { ClusterSecret } from '../../src/common/cluster-secret';
import { ImpostorCluster } from '../support/impostor-cluster';
import { everythingServed } from '../support/served';

const RIGHT = 'the secret this cluster was given at deployment';
const WRONG = 'a guess at the secret that is almost right';

/**
 * Three real nodes share CLUSTER_SECRET; a fourth member listed in `peers` is played by this
 * test, speaking the real protocol with the real transport, first with a wrong secret, then
 * (to show the attack itself works) with the right one.
 */
describe('CLUSTER_SECRET between real nodes', () => {
  const cluster = new ImpostorCluster();
  const nodes = cluster.nodes;
  let impostor: string;
  const waitForLeader = () => cluster.waitForLeader();
  const credentials = (secret: string) => ({ secret: new ClusterSecret(secret) });

  beforeAll(async () => {
    await cluster.start(() => ({ CLUSTER_SECRET: RIGHT }));
    impostor = cluster.impostor;
  });
  afterEach(() => cluster.stopAttacker());
  afterAll(() => cluster.stop());

  it('elects a leader and replicates a registration with every frame authenticated', async () => {
    await cluster.registerEverywhere();
    for (const n of nodes) {
      expect(n.lines.join('\n')).toContain(
        'peers must prove CLUSTER_SECRET and every frame is authenticated',
      );
      expect(n.lines.join('\n')).not.toContain(RIGHT);
    }
  });

  it('a member with the wrong secret changes no term and no leadership', async () => {
    // Until every node has turned the impostor away several times, watching all the while.
    await cluster.expectRefused(
      credentials(WRONG),
      new RegExp(`AuthHello from ${impostor.replace(/\./g, '\\.')} has a wrong proof`),
    );
  });

  it('the same member with the right secret does take over: the attack above was real', async () => {
    await cluster.expectTakeover(credentials(RIGHT));
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
