import { readFileSync } from 'node:fs';
import { RollcallClient, type WatchEvent } from '../../src/sdk';
import { waitFor } from '../support/poll';
import { makeTempDir } from '../support/temp-dir';
import { makeCa, makeLeaf } from '../support/test-certs';
import { TlsCluster } from '../support/tls-cluster';

/**
 * Three real nodes with mutual TLS between them and HTTPS on their API, driven through the SDK
 * as a client would: election, registration, heartbeats, the SSE stream, and a kill -9 of the
 * leader.
 */
describe('a cluster with peer TLS and API TLS', () => {
  const certs = makeTempDir('rollcall-tls-certs-');
  const cluster = new TlsCluster(3);
  let client: RollcallClient;

  beforeAll(async () => {
    const ca = makeCa(certs.dir, 'cluster-ca');
    await cluster.start(makeLeaf(certs.dir, ca, 'node'), ca);
    client = new RollcallClient({
      nodes: cluster.nodes.map((n) => n.url),
      username: 'alice',
      addr: '10.0.0.1:9000',
      tls: { ca: readFileSync(ca.certFile) },
      heartbeatIntervalMs: 100,
    });
  });

  afterAll(async () => {
    await client.stop();
    await cluster.stop();
    certs.cleanup();
  });

  it('elects a leader that points clients at its https:// API', async () => {
    const leader = await cluster.waitForLeader();
    const h = await cluster.health(0);
    expect(h?.leader_api).toBe(cluster.nodes[leader].url);
    expect(h?.leader_api).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('registers, takes heartbeats and streams who is online, all over HTTPS', async () => {
    const seen: WatchEvent[] = [];
    const watcher = client.watch((event) => seen.push(event));
    await client.register();
    await client.heartbeat();
    await waitFor('alice online in the stream', () =>
      seen.some(
        (e) =>
          (e.type === 'online' && e.username === 'alice') ||
          (e.type === 'snapshot' && e.clients.some((c) => c.username === 'alice')),
      ),
    );
    await watcher.stop();
    expect((await client.discover()).map((p) => p.username)).toEqual(['alice']);
  });

  it('fails over after kill -9 of the leader; the client follows to the new leader', async () => {
    const errors: Error[] = [];
    const leader = await cluster.waitForLeader();
    const old = cluster.nodes[leader];
    await old.kill();
    const next = await cluster.waitForLeader();
    expect(next).not.toBe(leader);
    // The SDK finds the new leader by itself and alice is still online there.
    await client.heartbeat().catch((err: Error) => errors.push(err));
    expect(errors).toEqual([]);
    expect(client.leader).toBe(cluster.nodes[next].url);
    expect((await client.discover()).map((p) => p.username)).toEqual(['alice']);
    // And the killed node rejoins over TLS as a follower.
    cluster.startNode(leader);
    await cluster.nodes[leader].waitUntilServing();
    await waitFor('the restarted node to know the leader', async () => {
      const h = await cluster.health(leader);
      return h?.current_leader === cluster.ids[next];
    });
  });
});
