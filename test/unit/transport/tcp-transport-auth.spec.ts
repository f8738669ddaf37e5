import { Logger } from '@nestjs/common';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ClusterSecret } from '../../../src/common/cluster-secret';
import type { Envelope } from '../../../src/election/transport/envelope';
import { FRAGMENT_PAYLOAD_BYTES } from '../../../src/election/transport/fragments';
import { TcpTransport } from '../../../src/election/transport/tcp-transport';
import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/poll';

const SECRET = new ClusterSecret('the secret every node of the cluster holds');
const OTHER = new ClusterSecret('a secret that belongs to some other cluster');

interface Node {
  id: string;
  transport: TcpTransport;
  got: Envelope[];
}

/** A transport known to its peers as `id`, listening on `port` (the same unless relayed). */
async function startNode(
  id: string,
  peers: string[],
  secret: ClusterSecret | null,
  port = Number(id.split(':')[1]),
): Promise<Node> {
  const got: Envelope[] = [];
  const transport = new TcpTransport({
    self: id,
    bind: { host: '127.0.0.1', port },
    peers,
    api: `http://api-of-${id}`,
    netTimeoutMs: 200,
    retryMs: 20,
    keepaliveMs: 50,
    random: () => 0.5,
    secret,
  });
  await transport.start({ message: (m) => got.push(m), unreachable: () => undefined });
  return { id, transport, got };
}

const heartbeat = (from: string, to: string, term: number, extra: object = {}) => ({
  type: 'Heartbeat',
  from,
  to,
  term,
  cpu: 1,
  ...extra,
});

describe('TcpTransport with CLUSTER_SECRET', () => {
  const started: Node[] = [];
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    for (const n of started.splice(0)) await n.transport.stop();
    warn.mockRestore();
  });

  const warnings = () => warn.mock.calls.map((c) => String(c[0]));

  async function pair(secretA: ClusterSecret | null, secretB: ClusterSecret | null) {
    const [pa, pb] = await freePorts(2);
    const ids = [`127.0.0.1:${pa}`, `127.0.0.1:${pb}`];
    const a = await startNode(ids[0], ids, secretA);
    const b = await startNode(ids[1], ids, secretB);
    started.push(a, b);
    return { a, b };
  }

  it('carries messages both ways between holders of the secret, fragments included', async () => {
    const { a, b } = await pair(SECRET, SECRET);
    await waitFor(
      'authenticated links',
      () => a.transport.isConnected(b.id) && b.transport.isConnected(a.id),
    );
    for (let i = 1; i <= 50; i++) a.transport.send(heartbeat(a.id, b.id, i));
    b.transport.send(heartbeat(b.id, a.id, 7));
    const big = 'x'.repeat(2.5 * FRAGMENT_PAYLOAD_BYTES);
    a.transport.send(heartbeat(a.id, b.id, 51, { big }));
    await waitFor('all delivered', () => b.got.length === 51 && a.got.length === 1);
    expect(b.got.map((m) => m.term)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(b.got[50].big).toBe(big);
    expect(a.got[0]).toMatchObject({ from: b.id, term: 7, api: `http://api-of-${b.id}` });
    expect(b.transport.stats.rejected).toBe(0);
  });

  it('delivers nothing between nodes with different secrets, and both sides say why', async () => {
    const { a, b } = await pair(SECRET, OTHER);
    // Each side refuses the other's hello, attempt after attempt.
    await waitFor(
      'repeated refusals on both sides',
      () => a.transport.stats.rejected >= 3 && b.transport.stats.rejected >= 3,
    );
    for (let i = 0; i < 10; i++) {
      a.transport.send(heartbeat(a.id, b.id, 100));
      b.transport.send(heartbeat(b.id, a.id, 100));
    }
    expect(a.transport.isConnected(b.id) || b.transport.isConnected(a.id)).toBe(false);
    expect(a.got).toEqual([]);
    expect(b.got).toEqual([]);
    expect(warnings()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`AuthHello from ${a.id} has a wrong proof`)),
        expect.stringMatching(new RegExp(`AuthHello from ${b.id} has a wrong proof`)),
      ]),
    );
    expect(warnings().join('\n')).not.toContain('the secret every node');
  });

  it('delivers nothing between a node with a secret and one without', async () => {
    const { a, b } = await pair(SECRET, null);
    await waitFor(
      'the node with the secret refuses plain frames',
      () => a.transport.stats.rejected >= 2,
    );
    // Its own dial waits for a challenge that never comes, until the other end drops the silent
    // connection.
    await waitFor('the failed handshake is reported', () =>
      warnings().some((w) =>
        w.includes(
          `peer ${b.id} failed authentication: the connection closed during the handshake`,
        ),
      ),
    );
    b.transport.send(heartbeat(b.id, a.id, 5));
    a.transport.send(heartbeat(a.id, b.id, 5));
    expect(a.got).toEqual([]);
    expect(b.got).toEqual([]);
    expect(warnings()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /unauthenticated frame where AuthHello was expected \(is CLUSTER_SECRET set/,
        ),
      ]),
    );
  });

  it('refuses a recorded connection replayed byte for byte', async () => {
    // B is known by a relay's address, so everything A sends it passes through the recorder.
    const [pa, pb, relayPort] = await freePorts(3);
    const aId = `127.0.0.1:${pa}`;
    const bId = `127.0.0.1:${relayPort}`;
    const recorded: Buffer[] = [];
    const relaySockets = new Set<Socket>();
    const relay: Server = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: pb });
      for (const s of [client, upstream]) {
        relaySockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => (client.destroy(), upstream.destroy()));
      }
      client.on('data', (chunk: Buffer) => {
        recorded.push(chunk);
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
    });
    await new Promise<void>((r) => relay.listen(relayPort, '127.0.0.1', r));
    try {
      const a = await startNode(aId, [aId, bId], SECRET);
      const b = await startNode(bId, [aId, bId], SECRET, pb);
      started.push(b);
      await waitFor('A linked to B through the relay', () => a.transport.isConnected(bId));
      for (let i = 1; i <= 5; i++) a.transport.send(heartbeat(aId, bId, i));
      await waitFor('delivered', () => b.got.length === 5);
      await a.transport.stop();
      const rejectedBefore = b.transport.stats.rejected;

      const replay = connect({ host: '127.0.0.1', port: pb });
      replay.on('error', () => undefined);
      // Read what the node says (its challenge), or the socket never sees the node hang up.
      replay.resume();
      const closed = new Promise<void>((r) => replay.once('close', () => r()));
      replay.once('connect', () => replay.write(Buffer.concat(recorded)));
      await closed;

      expect(b.got.map((m) => m.term)).toEqual([1, 2, 3, 4, 5]);
      expect(b.transport.stats.rejected).toBe(rejectedBefore + 1);
      expect(warnings()).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`AuthHello from ${aId} has a wrong proof`)),
        ]),
      );
    } finally {
      for (const s of relaySockets) s.destroy();
      await new Promise((r) => relay.close(r));
    }
  });
});
