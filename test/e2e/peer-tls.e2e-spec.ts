import { ReloadableTls } from '../../src/common/reloadable-tls';
import { ImpostorCluster } from '../support/impostor-cluster';
import { makeCa, makeLeaf, type LeafFiles, type TestCa } from '../support/test-certs';

/**
 * Three real nodes with mutual TLS on the election port; a fourth member listed in `peers` is
 * played by this test with the real transport: first in plaintext, then with a certificate from
 * another CA, then (to show the attack itself works) with one from the cluster's CA.
 */
describe('peer TLS between real nodes', () => {
  const cluster = new ImpostorCluster();
  const nodes = cluster.nodes;
  let ca: TestCa;
  /**
   * `leaf` null speaks plaintext; a leaf trusts the cluster's CA, so only the nodes' check of
   * its own certificate stands in its way.
   */
  const credentials = (leaf: LeafFiles | null) => ({
    tls: leaf ? new ReloadableTls('impostor', { ...leaf, caFile: ca.certFile }) : null,
  });

  beforeAll(async () => {
    ca = makeCa(cluster.dir, 'cluster-ca');
    await cluster.start((i) => {
      const leaf = makeLeaf(cluster.dir, ca, `node-${i}`);
      return {
        PEER_TLS_CERT_FILE: leaf.certFile,
        PEER_TLS_KEY_FILE: leaf.keyFile,
        PEER_TLS_CA_FILE: ca.certFile,
      };
    });
  });
  afterEach(() => cluster.stopAttacker());
  afterAll(() => cluster.stop());

  it('elects a leader and replicates a registration over mutual TLS', async () => {
    await cluster.registerEverywhere();
    for (const n of nodes) {
      expect(n.lines.join('\n')).toContain('peer TLS: mutual TLS 1.3');
    }
    // Said on / and /cluster as booleans, and never which files.
    for (const n of nodes) {
      const root = await n.health();
      const cluster = (await (await fetch(`${n.url}/cluster`)).json()) as Record<string, unknown>;
      for (const answer of [root, cluster]) {
        expect({ peer: answer.peer_tls, api: answer.api_tls }).toEqual({ peer: true, api: false });
        expect(JSON.stringify(answer)).not.toMatch(/\.crt|\.key|cluster-ca/);
      }
    }
  });

  it('a plaintext member claiming leadership 50 terms up moves no term', async () => {
    await cluster.expectRefused(
      credentials(null),
      /closing election connection from 127\.0\.0\.1:\d+: TLS handshake failed/,
    );
  });

  it('a member with a certificate from another CA moves no term either', async () => {
    const otherCa = makeCa(cluster.dir, 'other-ca');
    await cluster.expectRefused(
      credentials(makeLeaf(cluster.dir, otherCa, 'impostor-other-ca')),
      /closing election connection from 127\.0\.0\.1:\d+: its certificate is not trusted/,
    );
  });

  it('the same member with a certificate of the cluster CA does take over: the attack was real', async () => {
    await cluster.expectTakeover(credentials(makeLeaf(cluster.dir, ca, 'impostor-right-ca')));
  });
});
