import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HealthDto } from '../../src/health/health.dto';
import { RollcallClient, tlsFetch } from '../../src/sdk';
import { waitFor } from '../support/poll';
import { roleChanges } from '../support/role-changes';
import { makeTempDir } from '../support/temp-dir';
import { bundleCas, makeCa, makeLeaf } from '../support/test-certs';
import { TlsCluster } from '../support/tls-cluster';

const OLD_SECRET = 'the secret before the rotation';
const NEW_SECRET = 'the secret after the rotation';

/**
 * The rotations of docs/security.md on a running 3-node cluster, with a client heartbeating over
 * HTTPS all along: certificates to a new CA (a bundle of both CAs, new leaf certificates, only the
 * new CA), and CLUSTER_SECRET through its file. No restart, no leader change, no failed request.
 */
describe('rotating certificates and CLUSTER_SECRET without a restart', () => {
  const certs = makeTempDir('rollcall-rotation-certs-');
  const secretFile = join(certs.dir, 'cluster-secret');
  let cluster: TlsCluster;

  const count = (i: number, line: string) =>
    cluster.nodes[i].lines.filter((l) => l.includes(line)).length;

  /** Makes the change, then waits until every node has logged each of `lines` once more. */
  async function everyNodeLogs(lines: string[], change: () => void): Promise<void> {
    const before = lines.map((line) => cluster.nodes.map((_, i) => count(i, line)));
    change();
    await waitFor(`every node to log "${lines.join('" and "')}"`, () =>
      lines.every((line, k) => cluster.nodes.every((_, i) => count(i, line) > before[k][i])),
    );
  }

  /** The API's certificate has no CA file (no client certificates): a CA change is the peers'. */
  const reloaded = (change: () => void, what: string[]) =>
    everyNodeLogs(
      what.map((w) => `${w}: certificates reloaded`),
      change,
    );

  beforeAll(() => {
    writeFileSync(secretFile, `${OLD_SECRET}\n`);
    cluster = new TlsCluster(3, { CLUSTER_SECRET_FILE: secretFile });
  });

  afterAll(async () => {
    await cluster.stop();
    certs.cleanup();
  });

  it('moves to a new CA and a new secret in the documented steps while a client heartbeats', async () => {
    const oldCa = makeCa(certs.dir, 'old-ca');
    const newCa = makeCa(certs.dir, 'new-ca');
    const bundle = bundleCas(certs.dir, 'both-cas', [oldCa, newCa]);
    const newLeaf = makeLeaf(certs.dir, newCa, 'new-node');
    // Clients get the bundle before the nodes' certificates change (step 1 for them).
    await cluster.start(makeLeaf(certs.dir, oldCa, 'old-node'), oldCa, bundle);
    const leader = await cluster.waitForLeader();
    const errors: Error[] = [];
    const client = new RollcallClient({
      nodes: cluster.nodes.map((n) => n.url),
      username: 'alice',
      addr: '10.0.0.1:9000',
      tls: { ca: readFileSync(bundle) },
      heartbeatIntervalMs: 50,
      heartbeatJitter: 0,
      onError: (err) => errors.push(err),
    });
    await client.register();
    client.start();
    // Watches every node's view of the leadership throughout.
    const views: (HealthDto | null)[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        views.push(...(await Promise.all(cluster.nodes.map((_, i) => cluster.health(i)))));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const all = [0, 1, 2];
      const each = (install: (i: number) => void) => () => all.forEach(install);
      // 1. Every node trusts both CAs.
      await reloaded(
        each((i) => cluster.install(i, { caFile: bundle })),
        ['peer TLS'],
      );
      // A file that fails to load keeps the old certificates, and the node keeps serving.
      await everyNodeLogs(['new certificates not loaded, the ones in force stay'], () =>
        all.forEach((i) => TlsCluster.writeWhole(cluster.files[i].keyFile, 'not a key')),
      );
      // 2. New leaf certificates (this also mends the broken keys).
      await reloaded(
        each((i) => cluster.install(i, newLeaf)),
        ['peer TLS', 'API TLS'],
      );
      // 3. Only the new CA.
      await reloaded(
        each((i) => cluster.install(i, { caFile: newCa.certFile })),
        ['peer TLS'],
      );
      // CLUSTER_SECRET in its three steps, each read on the file's change.
      for (const secrets of [
        [OLD_SECRET, NEW_SECRET],
        [NEW_SECRET, OLD_SECRET],
      ]) {
        await everyNodeLogs(['CLUSTER_SECRET_FILE reloaded: two secrets'], () =>
          TlsCluster.writeWhole(secretFile, secrets.join('\n') + '\n'),
        );
      }
      await everyNodeLogs(['CLUSTER_SECRET_FILE reloaded: one secret'], () =>
        TlsCluster.writeWhole(secretFile, `${NEW_SECRET}\n`),
      );
      // SIGHUP re-reads too; with no file changed, it says so.
      await everyNodeLogs(
        ['SIGHUP: credential files re-read; none changed since the last reload'],
        () => {
          for (const n of cluster.nodes) n.signal('SIGHUP');
        },
      );
      // A change logs only what changed: the certificate changes above logged no secret line.
      const secretLines = cluster.nodes.map((_, i) => count(i, 'CLUSTER_SECRET_FILE reloaded'));
      expect(secretLines).toEqual([3, 3, 3]);
      // Heartbeats kept going through all of it.
      const heartbeats = () => client.discover().then((ps) => ps[0]?.last_seen_ms_ago ?? 1e9);
      expect(await heartbeats()).toBeLessThan(1000);
    } finally {
      watching = false;
      await watcher;
      await client.stop();
    }
    expect(errors).toEqual([]);
    // No node ever saw another leader or term.
    const first = views.find((v) => v !== null);
    expect(views.length).toBeGreaterThan(30);
    const seen = [...new Set(views.map((v) => `${v?.current_leader} ${v?.term}`))];
    const expected = [`${cluster.ids[leader]} ${first?.term}`];
    // When the leadership moved, every node's role changes come along: they say why.
    const moved = seen.join() !== expected.join();
    expect({ seen, roleChanges: moved ? roleChanges(cluster.nodes) : [] }).toEqual({
      seen: expected,
      roleChanges: [],
    });

    // New connections use the new certificates: the API trusts only under the new CA...
    const onlyNew = tlsFetch({ ca: readFileSync(newCa.certFile) });
    const onlyOld = tlsFetch({ ca: readFileSync(oldCa.certFile) });
    for (const n of cluster.nodes) {
      expect((await onlyNew(`${n.url}/`)).status).toBe(200);
      await expect(onlyOld(`${n.url}/`)).rejects.toThrow(/fetch failed/);
    }
    // ... and a follower restarted with only the new files and secret rejoins the leader.
    const follower = (leader + 1) % 3;
    await cluster.nodes[follower].kill();
    cluster.startNode(follower);
    await cluster.nodes[follower].waitUntilServing();
    await waitFor('the restarted follower to follow the leader', async () => {
      const h = await cluster.health(follower);
      return h?.current_leader === cluster.ids[leader];
    });
  });
});
