import { Logger } from '@nestjs/common';
import type { ClusterSecret } from '../../../src/common/cluster-secret';
import type { ReloadableTls } from '../../../src/common/reloadable-tls';
import type { Envelope } from '../../../src/election/transport/envelope';
import { TcpTransport } from '../../../src/election/transport/tcp-transport';
import { FRAGMENT_PAYLOAD_BYTES } from '../../../src/election/transport/fragments';
import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/poll';

/** A started transport, the address its peers know it by, and every message it was handed. */
export interface TransportNode {
  id: string;
  transport: TcpTransport;
  got: Envelope[];
}

export interface TransportNodeOptions {
  /** Where it listens: the port of its id unless its peers reach it through a relay. */
  port?: number;
  secret?: ClusterSecret | null;
  tls?: ReloadableTls | null;
  /** The specs' 50 ms unless a test needs connections to stay open through a silence. */
  keepaliveMs?: number;
}

/** A transport on loopback with the specs' fast timeouts and an API address named after `self`. */
export function testTransport(
  self: string,
  peers: string[],
  {
    port = Number(self.split(':')[1]),
    secret = null,
    tls = null,
    keepaliveMs = 50,
  }: TransportNodeOptions = {},
): TcpTransport {
  return new TcpTransport({
    self,
    bind: { host: '127.0.0.1', port },
    peers,
    api: `http://api-of-${self}`,
    netTimeoutMs: 200,
    retryMs: 20,
    keepaliveMs,
    random: () => 0.5,
    secret,
    tls,
  });
}

export const heartbeat = (from: string, to: string, term: number, extra: object = {}) => ({
  type: 'Heartbeat',
  from,
  to,
  term,
  cpu: 1,
  ...extra,
});

/**
 * For a describe block: starts transports that record what they receive, stops every one after
 * each test, and keeps the Logger's warnings (where a transport says why it refused a peer).
 */
export function useTransports() {
  const started: TransportNode[] = [];
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    // stop() is idempotent: a test may have stopped one of them already.
    for (const n of started.splice(0)) await n.transport.stop();
    warn.mockRestore();
  });

  async function startNode(
    id: string,
    peers: string[],
    options: TransportNodeOptions = {},
  ): Promise<TransportNode> {
    const got: Envelope[] = [];
    const transport = testTransport(id, peers, options);
    const node = { id, transport, got };
    started.push(node);
    await transport.start({ message: (m) => got.push(m), unreachable: () => undefined });
    return node;
  }

  /** Two transports on free ports, each a peer of the other. */
  async function pair(a: TransportNodeOptions, b: TransportNodeOptions) {
    const ids = (await freePorts(2)).map((p) => `127.0.0.1:${p}`);
    return { a: await startNode(ids[0], ids, a), b: await startNode(ids[1], ids, b) };
  }

  const warnings = () => warn.mock.calls.map((c) => String(c[0]));

  return { startNode, pair, warnings };
}

/**
 * Once A and B are linked: A sends `count` heartbeats, the last larger than a frame fragment, and
 * B one. Each arrives once, in order, whole and stamped with its sender's API address.
 */
export async function expectDeliveryBothWays(
  a: TransportNode,
  b: TransportNode,
  count: number,
): Promise<void> {
  for (let i = 1; i < count; i++) a.transport.send(heartbeat(a.id, b.id, i));
  b.transport.send(heartbeat(b.id, a.id, 7));
  const big = 'x'.repeat(2.5 * FRAGMENT_PAYLOAD_BYTES);
  a.transport.send(heartbeat(a.id, b.id, count, { big }));
  await waitFor('all delivered', () => b.got.length === count && a.got.length === 1);
  expect(b.got.map((m) => m.term)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  expect(b.got[count - 1].big).toBe(big);
  expect(a.got[0]).toMatchObject({ from: b.id, term: 7, api: `http://api-of-${b.id}` });
}
