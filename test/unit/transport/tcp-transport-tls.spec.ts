import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterSecret } from '../../../src/common/cluster-secret';
import { ReloadableTls } from '../../../src/common/reloadable-tls';
import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/poll';
import { makeTempDir } from '../../support/temp-dir';
import { bundleCas, makeCa, makeLeaf, type TestCa } from '../../support/test-certs';
import { expectDeliveryBothWays, heartbeat, useTransports } from './transport-harness';

interface Identity {
  leaf: { certFile: string; keyFile: string };
  caFile: string;
}

/** Mutual TLS on the election port, between real transports on loopback. */
describe('TcpTransport with peer TLS', () => {
  const tmp = makeTempDir('rollcall-peer-tls-');
  let ca: TestCa;
  let otherCa: TestCa;
  /** Signed by the cluster's CA, naming 127.0.0.1. */
  let good: Identity;
  /** Signed by another CA, naming 127.0.0.1, trusting the cluster's CA (a stranger). */
  let stranger: Identity;
  /** Signed by the cluster's CA, but naming another address. */
  let misnamed: Identity;
  const { startNode, pair: pairOf, warnings } = useTransports();

  beforeAll(() => {
    ca = makeCa(tmp.dir, 'cluster-ca');
    otherCa = makeCa(tmp.dir, 'other-ca');
    good = { leaf: makeLeaf(tmp.dir, ca, 'good'), caFile: ca.certFile };
    stranger = { leaf: makeLeaf(tmp.dir, otherCa, 'stranger'), caFile: ca.certFile };
    misnamed = {
      leaf: makeLeaf(tmp.dir, ca, 'misnamed', { san: 'IP:127.0.0.2,DNS:elsewhere.example' }),
      caFile: ca.certFile,
    };
  });

  afterAll(() => tmp.cleanup());

  const tlsOf = (who: Identity | null, name: string) =>
    who ? new ReloadableTls(name, { ...who.leaf, caFile: who.caFile }) : null;

  const pair = (a: Identity | null, b: Identity | null, secret: ClusterSecret | null = null) =>
    pairOf({ tls: tlsOf(a, 'a'), secret }, { tls: tlsOf(b, 'b'), secret });

  it('carries messages both ways between holders of the CA, fragments included', async () => {
    const { a, b } = await pair(good, good);
    await waitFor(
      'TLS links',
      () => a.transport.isConnected(b.id) && b.transport.isConnected(a.id),
    );
    await expectDeliveryBothWays(a, b, 21);
    expect(a.transport.stats.rejected + b.transport.stats.rejected).toBe(0);
  });

  it('works together with CLUSTER_SECRET: both layers on one connection', async () => {
    const secret = new ClusterSecret('the secret every node of the cluster holds');
    const { a, b } = await pair(good, good, secret);
    await waitFor('links', () => a.transport.isConnected(b.id) && b.transport.isConnected(a.id));
    a.transport.send(heartbeat(a.id, b.id, 3));
    await waitFor('delivered', () => b.got.length === 1);
    expect(b.got[0]).toMatchObject({ from: a.id, term: 3 });
  });

  it('refuses a certificate from another CA before any frame, naming the address and why', async () => {
    const { a, b } = await pair(good, stranger);
    await waitFor('A refuses B three times', () => a.transport.stats.rejected >= 3);
    for (let i = 0; i < 5; i++) b.transport.send(heartbeat(b.id, a.id, 100 + i));
    expect(a.got).toEqual([]);
    expect(warnings()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^closing election connection from 127\.0\.0\.1:\d+: its certificate is not trusted \(\w+\)/,
        ),
        // A, dialling B, finds B's server certificate untrusted in the same way.
        expect.stringContaining(`peer ${b.id} failed authentication: TLS:`),
        // B's own TLS handshake completes before A checks B's certificate (TLS 1.3), so only A's
        // word that it accepted B makes B's link usable: refused, B says so.
        expect.stringContaining(`peer ${a.id} failed authentication: refused by the peer`),
      ]),
    );
    expect(a.transport.isConnected(b.id)).toBe(false);
    // Not even for a moment: a link counts once it is usable, and none of B's ever was.
    expect(b.transport.connections(a.id)).toBe(0);
  });

  it('refuses a plaintext dialer: nothing it sends is read', async () => {
    const { a, b } = await pair(good, null);
    await waitFor('A refuses the plaintext connection', () => a.transport.stats.rejected >= 2);
    b.transport.send(heartbeat(b.id, a.id, 100));
    expect(a.got).toEqual([]);
    expect(warnings()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^closing election connection from 127\.0\.0\.1:\d+: TLS handshake failed/,
        ),
        // A's own dial gets no TLS answer from the plaintext node.
        expect.stringContaining(`peer ${b.id} failed authentication`),
      ]),
    );
  });

  it('refuses a trusted certificate that does not name the address its holder claims', async () => {
    const { a, b } = await pair(good, misnamed);
    await waitFor('A refuses B', () => a.transport.stats.rejected >= 2);
    b.transport.send(heartbeat(b.id, a.id, 100));
    expect(a.got).toEqual([]);
    expect(warnings()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `closing election connection from 127\\.0\\.0\\.1:\\d+: claims to be ${b.id}, but its certificate does not name 127\\.0\\.0\\.1`,
          ),
        ),
        // And A, dialling B, finds B's server certificate misnamed too.
        expect.stringMatching(
          new RegExp(`peer ${b.id} failed authentication: TLS: .*127\\.0\\.0\\.1`),
        ),
      ]),
    );
  });

  // B's stranger connections used to count as up for a moment (TLS 1.3 ends the dialer's
  // handshake before the acceptor checks its certificate): the wait for 'B linked to A' could end
  // on one that A was about to close, and the single heartbeat below was lost with it. A link
  // is now up only once the acceptor says it accepted (TLS_ACCEPTED).
  it('new connections use reloaded certificates; a file that fails to load keeps the old ones', async () => {
    // B's files live where the test can rewrite them, as an operator would.
    const dir = join(tmp.dir, 'reload');
    mkdirSync(dir, { recursive: true });
    const files = {
      certFile: join(dir, 'b.crt'),
      keyFile: join(dir, 'b.key'),
      caFile: join(dir, 'ca.pem'),
    };
    const put = (who: Identity) => {
      copyFileSync(who.leaf.certFile, files.certFile);
      copyFileSync(who.leaf.keyFile, files.keyFile);
      copyFileSync(who.caFile, files.caFile);
    };
    put(stranger);
    const ids = (await freePorts(2)).map((p) => `127.0.0.1:${p}`);
    const bTls = new ReloadableTls('b', files);
    const a = await startNode(ids[0], ids, { tls: tlsOf(good, 'a') });
    const b = await startNode(ids[1], ids, { tls: bTls });
    await waitFor('A refuses B as a stranger', () => a.transport.stats.rejected >= 2);
    const log = { log: jest.fn(), error: jest.fn() };

    // A broken key: the reload is refused and says why; B keeps its old identity.
    writeFileSync(files.keyFile, 'not a key');
    expect(bTls.reload(log)).toBe(false);
    expect(log.error).toHaveBeenCalledWith(
      expect.stringMatching(/^b: new certificates not loaded, the ones in force stay: .*b\.key/),
    );

    // The cluster's CA and a good leaf: B's next dial is accepted.
    put(good);
    expect(bTls.reload(log)).toBe(true);
    await waitFor('B linked to A', () => b.transport.isConnected(a.id));
    b.transport.send(heartbeat(b.id, a.id, 9));
    await waitFor('delivered', () => a.got.length === 1);
    expect(a.got[0]).toMatchObject({ from: b.id, term: 9 });
    // And B's listening side serves the new certificate: A's dial to B gets through.
    await waitFor('A linked to B', () => a.transport.isConnected(b.id));
  });

  it('trusts either CA of a bundle, as in the middle of a CA rotation', async () => {
    const bundle = bundleCas(tmp.dir, 'both', [ca, otherCa]);
    const newLeaf = makeLeaf(tmp.dir, otherCa, 'new-leaf');
    const { a, b } = await pair(
      { leaf: good.leaf, caFile: bundle },
      { leaf: newLeaf, caFile: bundle },
    );
    await waitFor('links', () => a.transport.isConnected(b.id) && b.transport.isConnected(a.id));
    a.transport.send(heartbeat(a.id, b.id, 1));
    b.transport.send(heartbeat(b.id, a.id, 2));
    await waitFor('delivered', () => a.got.length === 1 && b.got.length === 1);
  });
});
