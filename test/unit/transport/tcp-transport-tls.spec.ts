import { Logger } from '@nestjs/common';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterSecret } from '../../../src/common/cluster-secret';
import { ReloadableTls } from '../../../src/common/reloadable-tls';
import type { Envelope } from '../../../src/election/transport/envelope';
import { FRAGMENT_PAYLOAD_BYTES } from '../../../src/election/transport/fragments';
import { TcpTransport } from '../../../src/election/transport/tcp-transport';
import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/poll';
import { makeTempDir } from '../../support/temp-dir';
import { bundleCas, makeCa, makeLeaf, type TestCa } from '../../support/test-certs';

interface Node {
  id: string;
  transport: TcpTransport;
  got: Envelope[];
}

interface Identity {
  leaf: { certFile: string; keyFile: string };
  caFile: string;
}

const heartbeat = (from: string, to: string, term: number, extra: object = {}) => ({
  type: 'Heartbeat',
  from,
  to,
  term,
  cpu: 1,
  ...extra,
});

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
  const started: Node[] = [];
  let warn: jest.SpyInstance;

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

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    for (const n of started.splice(0)) await n.transport.stop();
    warn.mockRestore();
  });

  const warnings = () => warn.mock.calls.map((c) => String(c[0]));

  const tlsOf = (who: Identity | null, name: string) =>
    who ? new ReloadableTls(name, { ...who.leaf, caFile: who.caFile }) : null;

  async function startNode(
    id: string,
    peers: string[],
    tls: ReloadableTls | null,
    secret: ClusterSecret | null = null,
  ): Promise<Node> {
    const got: Envelope[] = [];
    const transport = new TcpTransport({
      self: id,
      bind: { host: '127.0.0.1', port: Number(id.split(':')[1]) },
      peers,
      api: `https://api-of-${id}`,
      netTimeoutMs: 200,
      retryMs: 20,
      keepaliveMs: 50,
      random: () => 0.5,
      secret,
      tls,
    });
    await transport.start({ message: (m) => got.push(m), unreachable: () => undefined });
    const node = { id, transport, got };
    started.push(node);
    return node;
  }

  async function pair(a: Identity | null, b: Identity | null, secret: ClusterSecret | null = null) {
    const ids = (await freePorts(2)).map((p) => `127.0.0.1:${p}`);
    return {
      a: await startNode(ids[0], ids, tlsOf(a, 'a'), secret),
      b: await startNode(ids[1], ids, tlsOf(b, 'b'), secret),
    };
  }

  it('carries messages both ways between holders of the CA, fragments included', async () => {
    const { a, b } = await pair(good, good);
    await waitFor(
      'TLS links',
      () => a.transport.isConnected(b.id) && b.transport.isConnected(a.id),
    );
    for (let i = 1; i <= 20; i++) a.transport.send(heartbeat(a.id, b.id, i));
    b.transport.send(heartbeat(b.id, a.id, 7));
    const big = 'x'.repeat(2.5 * FRAGMENT_PAYLOAD_BYTES);
    a.transport.send(heartbeat(a.id, b.id, 21, { big }));
    await waitFor('all delivered', () => b.got.length === 21 && a.got.length === 1);
    expect(b.got.map((m) => m.term)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(b.got[20].big).toBe(big);
    expect(a.got[0]).toMatchObject({ from: b.id, term: 7 });
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
    const a = await startNode(ids[0], ids, tlsOf(good, 'a'));
    const b = await startNode(ids[1], ids, bTls);
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
