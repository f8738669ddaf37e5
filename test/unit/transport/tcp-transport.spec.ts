import { Logger } from '@nestjs/common';
import { connect, createServer, Socket } from 'node:net';
import type { Envelope } from '../../../src/election/transport/envelope';
import { encodeFrame } from '../../../src/election/transport/frame-codec';
import { FRAGMENT, splitMessage } from '../../../src/election/transport/fragments';
import { TcpTransport } from '../../../src/election/transport/tcp-transport';
import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/poll';
import { testTransport } from './transport-harness';

describe('TcpTransport on loopback', () => {
  let a: TcpTransport;
  let b: TcpTransport;
  let addrA: string;
  let addrB: string;
  const gotA: Envelope[] = [];
  const gotB: Envelope[] = [];
  const unreachableFromA: { peer: string; refused: boolean }[] = [];

  const msg = (from: string, to: string, n: number) => ({
    type: 'Heartbeat',
    from,
    to,
    term: n,
    cpu: 7,
  });

  beforeEach(async () => {
    gotA.length = gotB.length = unreachableFromA.length = 0;
    const [pa, pb] = await freePorts(2);
    addrA = `127.0.0.1:${pa}`;
    addrB = `127.0.0.1:${pb}`;
    a = testTransport(addrA, [addrA, addrB]);
    b = testTransport(addrB, [addrA, addrB]);
    await a.start({
      message: (m) => gotA.push(m),
      unreachable: (peer, refused) => unreachableFromA.push({ peer, refused }),
    });
    await b.start({ message: (m) => gotB.push(m), unreachable: () => undefined });
    await waitFor('links up', () => a.isConnected(addrB) && b.isConnected(addrA));
    // A dialled B before B listened: that refusal belongs to start-up, not to the tests.
    unreachableFromA.length = 0;
  });

  afterEach(async () => {
    await a.stop();
    await b.stop();
  });

  it('delivers messages both ways, in order, stamped with the sender API', async () => {
    for (let i = 1; i <= 100; i++) a.send(msg(addrA, addrB, i));
    b.send(msg(addrB, addrA, 1));
    await waitFor('100 messages at b', () => gotB.length === 100);
    await waitFor('1 message at a', () => gotA.length === 1);
    expect(gotB.map((m) => m.term)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(gotB[0]).toEqual({ ...msg(addrA, addrB, 1), api: `http://api-of-${addrA}` });
  });

  it('sends a message given as JSON as it sends the object, stamped with the sender API', async () => {
    a.send(msg(addrA, addrB, 1));
    a.sendJson(addrB, JSON.stringify(msg(addrA, addrB, 2)));
    await waitFor('2 messages at b', () => gotB.length === 2);
    expect(gotB).toEqual(
      [1, 2].map((n) => ({ ...msg(addrA, addrB, n), api: `http://api-of-${addrA}` })),
    );
  });

  it('writes the frames sent in one turn of the event loop in one write, in order', async () => {
    const proto = Socket.prototype as unknown as {
      _write: (chunk: Buffer, ...rest: unknown[]) => void;
      _writev: (chunks: { chunk: Buffer }[], ...rest: unknown[]) => void;
    };
    const portB = Number(addrB.split(':')[1]);
    // What each write from A's link to B handed the kernel: the terms of its frames (pings
    // have term 0 and may ride along).
    const writes: number[][] = [];
    const record = (socket: Socket, chunks: Buffer[]) => {
      if (socket.remotePort !== portB) return;
      const terms = chunks
        .map((c) => (JSON.parse(c.subarray(5).toString()) as { term: number }).term)
        .filter((term) => term > 100);
      if (terms.length > 0) writes.push(terms);
    };
    const { _write, _writev } = proto;
    const write = jest.spyOn(proto, '_write').mockImplementation(function (this: Socket, ...a) {
      record(this, [a[0]]);
      return _write.apply(this, a);
    });
    const writev = jest.spyOn(proto, '_writev').mockImplementation(function (this: Socket, ...a) {
      record(
        this,
        a[0].map((w) => w.chunk),
      );
      return _writev.apply(this, a);
    });
    try {
      for (let i = 1; i <= 50; i++) a.send(msg(addrA, addrB, 100 + i));
      await waitFor('50 messages at b', () => gotB.length === 50);
    } finally {
      write.mockRestore();
      writev.mockRestore();
    }
    expect(writes).toEqual([Array.from({ length: 50 }, (_, i) => 101 + i)]);
    expect(gotB.map((m) => m.term)).toEqual(writes[0]);
  });

  /**
   * Sends `bytes` to B on a connection of its own and waits until B closes it. Returns B's
   * warnings about that connection: the transport must have refused it for what it sent, at
   * once, not dropped it later as a silent link (which would close it all the same).
   */
  const refusedBy = async (bytes: Buffer): Promise<{ warnings: string[]; rejected: number }> => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const [host, port] = addrB.split(':');
      const local = await new Promise<string>((resolve) => {
        const s = connect({ host, port: Number(port) }, () => s.write(bytes));
        s.on('error', () => undefined);
        s.once('connect', () => {
          const from = `${s.localAddress}:${s.localPort}`;
          s.once('close', () => resolve(from));
        });
      });
      const warnings = warn.mock.calls
        .map(([line]) => String(line))
        .filter((line) => line.includes(`election connection from ${local}`));
      return { warnings, rejected: b.stats.rejected };
    } finally {
      warn.mockRestore();
    }
  };

  it.each([
    ['garbage bytes', () => Buffer.from('GET / HTTP/1.1\r\n\r\n'), /over the 1 MiB limit/],
    ['an oversized frame', () => Buffer.from([0x7f, 0xff, 0xff, 0xff, 1]), /over the 1 MiB limit/],
    [
      'a frame from a stranger',
      () => encodeFrame({ ...msg('10.9.9.9:1', addrB, 1), api: 'x' }),
      /sender 10\.9\.9\.9:1 is not a peer/,
    ],
    [
      'a frame without a term',
      () => encodeFrame({ type: 'Heartbeat', from: addrA, to: addrB, cpu: 1, api: 'z' }),
      /bad term/,
    ],
  ])('closes a connection that sends %s, and only that one', async (_what, bytes, reason) => {
    const { warnings, rejected } = await refusedBy(bytes());
    expect(warnings).toEqual([expect.stringMatching(reason)]);
    expect(rejected).toBe(1);
    expect(gotB).toEqual([]);
    a.send(msg(addrA, addrB, 42));
    await waitFor('the real peer still gets through', () => gotB.some((m) => m.term === 42));
  });

  it('closes a connection that stays silent, and says so with its address', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const [host, port] = addrB.split(':');
    const s = connect({ host, port: Number(port) });
    s.on('error', () => undefined);
    const local = await new Promise<string>((r) =>
      s.once('connect', () => r(`${s.localAddress}:${s.localPort}`)),
    );
    await new Promise((r) => s.once('close', r));
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(new RegExp(`from ${local}: silent for \\d+ ms`)),
    );
    warn.mockRestore();
  });

  it('keeps a live connection through a stall of its own event loop longer than the silence window', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    a.send(msg(addrA, addrB, 11));
    await new Promise((r) => setImmediate(r)); // the frame is written to the socket
    // This process does nothing for 3x the 350 ms window (a GC pause, a large snapshot's
    // encoding): the frame waits unread, and the idle timer is due before the read comes.
    const until = Date.now() + 1050;
    while (Date.now() < until);
    await waitFor('the frame at b', () => gotB.length === 1);
    expect(warn).not.toHaveBeenCalledWith(expect.stringMatching(/silent for/));
    expect(a.isConnected(addrB)).toBe(true);
    warn.mockRestore();
  });

  it('carries a message larger than a frame in fragments, and puts it back together', async () => {
    // 3 MiB of data, three times the frame cap: what a snapshot for a far-behind follower is.
    const big = { ...msg(addrA, addrB, 9), data: 'x'.repeat(3 * 1024 * 1024) };
    a.send(big);
    a.send(msg(addrA, addrB, 10));
    await waitFor('both at b', () => gotB.length === 2);
    expect(gotB[0]).toEqual({ ...big, api: `http://api-of-${addrA}` });
    expect(gotB[1].term).toBe(10);
  });

  it('closes a connection whose fragments come out of order', async () => {
    const frag = (part: number) =>
      encodeFrame({
        type: 'Fragment',
        from: addrA,
        to: addrB,
        term: 0,
        cpu: 0,
        api: 'x',
        id: 1,
        part,
        parts: 3,
        chunk: 'eA==',
      });
    const { warnings, rejected } = await refusedBy(Buffer.concat([frag(0), frag(2)]));
    expect(warnings).toEqual([expect.stringMatching(/fragment out of order/)]);
    expect(rejected).toBe(1);
    expect(gotB).toEqual([]);
  });

  it('does not serialize a message for a peer it has no connection to', async () => {
    let serialized = 0;
    // A snapshot for a follower that is down would otherwise be turned into megabytes of JSON
    // at every retry, only to be dropped.
    const message = (to: string) => ({
      ...msg(addrA, to, 1),
      toJSON() {
        serialized++;
        return msg(addrA, to, 1);
      },
    });
    expect(a.send(message('127.0.0.1:1'))).toBe(false); // not a peer
    await b.stop();
    await waitFor('the link to b is down', () => !a.isConnected(addrB));
    expect(a.send(message(addrB))).toBe(false);
    expect(serialized).toBe(0);
  });

  it('reports a refused redial when the peer process is gone', async () => {
    await b.stop();
    await waitFor('refused redial reported', () =>
      unreachableFromA.find((u) => u.peer === addrB && u.refused),
    );
    expect(a.isConnected(addrB)).toBe(false);
    expect(a.send(msg(addrA, addrB, 1))).toBe(false);
  });

  it('keeps an idle link open with pings that never reach the core', async () => {
    // 10 pings at 50 ms span more than the 350 ms after which a silent inbound link is dropped.
    await waitFor('ten keepalive pings at b', () => b.stats.pingsIn >= 10);
    expect(a.isConnected(addrB)).toBe(true);
    expect(a.connections(addrB)).toBe(1);
    expect(gotA).toEqual([]);
    expect(gotB).toEqual([]);
  });

  it('pings every silent link from one timer: one wake-up per interval, not one per peer', async () => {
    const [pc] = await freePorts(1);
    const addrC = `127.0.0.1:${pc}`;
    // c learns of a and b only once it runs: links added later are kept alive too.
    const c = testTransport(addrC, [addrC]);
    for (const t of [a, b]) t.setPeers([addrA, addrB, addrC]);
    const intervals = jest.spyOn(global, 'setInterval');
    const cleared = jest.spyOn(global, 'clearInterval');
    let stopped = false;
    try {
      await c.start({ message: () => undefined, unreachable: () => undefined });
      c.setPeers([addrA, addrB, addrC]);
      expect(intervals).toHaveBeenCalledTimes(1);
      await waitFor('c linked to a and b', () => c.isConnected(addrA) && c.isConnected(addrB));
      const before = { a: a.stats.pingsIn, b: b.stats.pingsIn };
      // 20 pings at 50 ms from two senders span more than the 350 ms after which a silent
      // inbound link is dropped: had c not pinged both, it would have had to dial again.
      await waitFor(
        'twenty pings each at a and b',
        () => a.stats.pingsIn >= before.a + 20 && b.stats.pingsIn >= before.b + 20,
      );
      expect([c.connections(addrA), c.connections(addrB)]).toEqual([1, 1]);
      expect([c.isConnected(addrA), c.isConnected(addrB)]).toEqual([true, true]);
      await c.stop();
      stopped = true;
      expect(cleared).toHaveBeenCalledWith(intervals.mock.results[0].value);
    } finally {
      intervals.mockRestore();
      cleared.mockRestore();
      if (!stopped) await c.stop();
    }
  });
});

describe('TcpTransport and a peer that stops reading', () => {
  it('drops the connection after net_timeout_ms and dials again', async () => {
    const [pa, pb] = await freePorts(2);
    const self = `127.0.0.1:${pa}`;
    const stuck = `127.0.0.1:${pb}`;
    // A "peer" that accepts and never reads: its receive window fills, then ours.
    const accepted: Socket[] = [];
    const server = createServer((s) => {
      s.pause();
      accepted.push(s);
    });
    await new Promise<void>((r) => server.listen(pb, '127.0.0.1', r));
    const t = new TcpTransport({
      self,
      bind: { host: '127.0.0.1', port: pa },
      peers: [self, stuck],
      api: 'http://x',
      netTimeoutMs: 100,
      retryMs: 20,
      keepaliveMs: 1000,
      random: () => 0.5,
    });
    await t.start({ message: () => undefined, unreachable: () => undefined });
    try {
      await waitFor('link up', () => t.isConnected(stuck));
      const big = {
        type: 'Heartbeat',
        from: self,
        to: stuck,
        term: 1,
        cpu: 0,
        pad: 'x'.repeat(64 * 1024),
      };
      // Bounded: 200 frames of 64 KiB is far more than the socket buffers hold.
      for (let i = 0; i < 200; i++) t.send(big);
      await waitFor(
        'a second connection after the stuck one was dropped',
        () => t.connections(stuck) >= 2,
      );
      expect(accepted.length).toBeGreaterThanOrEqual(2);
    } finally {
      await t.stop();
      for (const s of accepted) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('TcpTransport limits', () => {
  let t: TcpTransport;
  let port: number;
  const open: Socket[] = [];

  beforeEach(async () => {
    const [p, other] = await freePorts(2);
    port = p;
    t = new TcpTransport({
      self: `127.0.0.1:${p}`,
      bind: { host: '127.0.0.1', port: p },
      // Two members: at most max(4, 2 × 2) = 4 connections from one address.
      peers: [`127.0.0.1:${p}`, `127.0.0.1:${other}`],
      api: 'http://x',
      netTimeoutMs: 200,
      retryMs: 1000,
      // The test's connections send nothing: a silence limit (3 x this) must not close them
      // while a test is still opening the rest, however slow the machine.
      keepaliveMs: 60_000,
      random: () => 0.5,
    });
    await t.start({ message: () => undefined, unreachable: () => undefined });
  });

  afterEach(async () => {
    for (const s of open.splice(0)) s.destroy();
    await t.stop();
  });

  const dial = (localAddress = '127.0.0.1') =>
    new Promise<{ socket: Socket; closed: Promise<void> }>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress });
      socket.on('error', () => undefined);
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      open.push(socket);
      socket.once('connect', () => resolve({ socket, closed }));
    });

  it('refuses connections past the per-address limit, and only from that address', async () => {
    const kept = [await dial(), await dial(), await dial(), await dial()];
    await waitFor('four accepted', () => t.inboundCount === 4);
    const fifth = await dial();
    await fifth.closed;
    expect(t.stats.rejected).toBe(1);
    // Another address has its own allowance.
    await dial('127.0.0.2');
    await waitFor('the other address accepted', () => t.inboundCount === 5);
    expect(t.stats.rejected).toBe(1);
    // Closing one makes room again.
    kept[0].socket.destroy();
    await waitFor('one gone', () => t.inboundCount === 4);
    await dial();
    await waitFor('room for one more', () => t.inboundCount === 5);
    expect(t.stats.rejected).toBe(1);
  });

  it('holds at most 64 inbound connections in all, and logs each one refused past that', async () => {
    // Four (the per-address limit) from each of 16 addresses fill the port.
    const hosts = Array.from({ length: 16 }, (_, i) => `127.0.1.${i + 1}`);
    const kept = (
      await Promise.all(hosts.map((host) => Promise.all([1, 2, 3, 4].map(() => dial(host)))))
    ).flat();
    await waitFor('64 accepted', () => t.inboundCount === 64);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const over = await dial('127.0.2.1');
      let closed = false;
      void over.closed.then(() => (closed = true));
      await waitFor('the node to close the 65th connection', () => closed);
      expect(t.inboundCount).toBe(64);
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/refusing election connection from 127\.0\.2\.1:\d+: .*64/),
      );
    } finally {
      warn.mockRestore();
    }
    // One gone makes room for that address again.
    kept[0].socket.destroy();
    await waitFor('one gone', () => t.inboundCount === 63);
    await dial('127.0.2.1');
    await waitFor('the newcomer accepted', () => t.inboundCount === 64);
  }, 20_000);

  it('closes a connection that trickles a frame too slowly to ever finish it', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { socket, closed } = await dial();
    // A 1000-byte frame announced, then a byte at a time: never silent, never whole.
    socket.write(Buffer.from([0, 0, 3, 0xe8, 1]));
    const trickle = setInterval(() => socket.write(Buffer.from('x')), 100);
    await closed;
    clearInterval(trickle);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/too slow a sender/));
    warn.mockRestore();
  });
});

describe('TcpTransport: one connection at a time speaks for a peer', () => {
  let node: TcpTransport;
  let self: string;
  let peer: string;
  const got: Envelope[] = [];

  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const [p0, p1] = await freePorts(2);
    self = `127.0.0.1:${p0}`;
    peer = `127.0.0.1:${p1}`; // nothing listens there: the test's sockets speak for it
    got.length = 0;
    // Silent connections stay open for seconds: only a newer connection can close the older.
    node = testTransport(self, [self, peer], { keepaliveMs: 5000 });
    await node.start({ message: (m) => got.push(m), unreachable: () => undefined });
  });

  afterEach(async () => {
    await node.stop();
    jest.restoreAllMocks();
  });

  const frame = (term: number, extra: object = {}) =>
    encodeFrame({ type: 'Heartbeat', from: peer, to: self, term, cpu: 1, api: 'x', ...extra });

  /** A connection to the node, open, and whether the node has closed it since. */
  const open = () =>
    new Promise<{ socket: Socket; closed: () => boolean }>((resolve) => {
      let isClosed = false;
      const [host, port] = self.split(':');
      const socket = connect({ host, port: Number(port) }, () =>
        resolve({ socket, closed: () => isClosed }),
      );
      socket.once('close', () => (isClosed = true));
      socket.on('error', () => undefined);
    });
  const terms = () => got.map((m) => m.term);

  it('closes the older connection once a newer one speaks, so nothing it still carries comes late', async () => {
    const older = await open();
    older.socket.write(frame(101));
    await waitFor('the first connection is heard', () => terms().includes(101));
    const newer = await open();
    newer.socket.write(frame(102));
    await waitFor('the second connection is heard', () => terms().includes(102));
    older.socket.write(frame(103)); // bytes the peer wrote before it gave the connection up
    await waitFor('the older connection is closed', older.closed);
    newer.socket.write(frame(104));
    await waitFor('the newer one is still heard', () => terms().includes(104));
    expect(terms()).toEqual([101, 102, 104]);
    expect(newer.closed()).toBe(false);
    newer.socket.destroy();
  });

  it('refuses an older connection that speaks after a newer one, even mid-way through fragments', async () => {
    const older = await open(); // taken first, silent for now
    const newer = await open();
    newer.socket.write(frame(202));
    await waitFor('the newer connection is heard', () => terms().includes(202));
    // The older one now delivers a message it had begun before the peer dialled again.
    const big = Buffer.from(
      JSON.stringify({
        type: 'Heartbeat',
        from: peer,
        to: self,
        term: 201,
        cpu: 1,
        api: 'x',
        pad: 'x'.repeat(2 * 1024 * 1024),
      }),
    );
    for (const f of splitMessage(big, 1))
      older.socket.write(
        encodeFrame({ type: FRAGMENT, from: peer, to: self, term: 0, cpu: 0, api: 'x', ...f }),
      );
    await waitFor('the older connection is refused', older.closed);
    newer.socket.write(frame(203));
    await waitFor('the newer one is still heard', () => terms().includes(203));
    expect(terms()).toEqual([202, 203]);
    newer.socket.destroy();
  });
});
