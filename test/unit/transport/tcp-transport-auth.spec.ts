import { connect, createServer, type Server, type Socket } from 'node:net';
import { ClusterSecret } from '../../../src/common/cluster-secret';
import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/poll';
import { expectDeliveryBothWays, heartbeat, useTransports } from './transport-harness';

const SECRET = new ClusterSecret('the secret every node of the cluster holds');
const OTHER = new ClusterSecret('a secret that belongs to some other cluster');

describe('TcpTransport with CLUSTER_SECRET', () => {
  const { startNode, pair, warnings } = useTransports();

  it('carries messages both ways between holders of the secret, fragments included', async () => {
    const { a, b } = await pair({ secret: SECRET }, { secret: SECRET });
    await waitFor(
      'authenticated links',
      () => a.transport.isConnected(b.id) && b.transport.isConnected(a.id),
    );
    await expectDeliveryBothWays(a, b, 51);
    expect(a.transport.stats.rejected + b.transport.stats.rejected).toBe(0);
  });

  it('delivers nothing between nodes with different secrets, and both sides say why', async () => {
    const { a, b } = await pair({ secret: SECRET }, { secret: OTHER });
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
    const { a, b } = await pair({ secret: SECRET }, {});
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
      const a = await startNode(aId, [aId, bId], { secret: SECRET });
      const b = await startNode(bId, [aId, bId], { secret: SECRET, port: pb });
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
