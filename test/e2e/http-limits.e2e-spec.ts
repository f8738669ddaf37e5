import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { type InProcessNode, startInProcessNode } from '../support/in-process-node';

interface Conn {
  socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
  /** Whether the server ended the connection (its FIN came before the close). */
  endedByServer: () => boolean;
}

describe('HTTP connection limits', () => {
  let node: InProcessNode;
  let server: Server;
  let port: number;
  const conns: Socket[] = [];
  /** The node's side of each connection, by the client's port. */
  const serverSide = new Map<number, Socket>();

  beforeAll(async () => {
    node = await startInProcessNode({
      file: { extra: 'http_max_connections_per_address = 3\nhttp_idle_timeout_ms = 300' },
      lead: false,
    });
    port = node.port;
    server = node.app.getHttpServer() as Server;
    server.on('connection', (s: Socket) => serverSide.set(s.remotePort ?? -1, s));
  });

  afterAll(async () => {
    for (const s of conns) s.destroy();
    await node.close();
  });

  const open = (localAddress = '127.0.0.1') =>
    new Promise<Conn>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress });
      conns.push(socket);
      let got = '';
      let ended = false;
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.on('end', () => (ended = true));
      socket.on('error', () => undefined);
      const closed = new Promise<string>((r) => socket.once('close', () => r(got)));
      socket.once('connect', () => resolve({ socket, closed, endedByServer: () => ended }));
    });

  /** One keep-alive GET / on the connection; resolves with the status line. */
  const ask = (c: Conn) =>
    new Promise<string>((resolve) => {
      c.socket.once('data', (d: Buffer) => resolve(d.toString('latin1').split('\r\n')[0]));
      c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });

  it('holds at most the limit of connections per address, and others are not affected', async () => {
    const three = [await open(), await open(), await open()];
    for (const c of three) expect(await ask(c)).toBe('HTTP/1.1 200 OK');
    const fourth = await open();
    // Closed without a word: a flood gets nothing to parse.
    expect(await fourth.closed).toBe('');
    const elsewhere = await open('127.0.0.2');
    expect(await ask(elsewhere)).toBe('HTTP/1.1 200 OK');
    three[0].socket.destroy();
    await three[0].closed;
    // The server sees the close a moment later; the next one gets in once it has.
    let answered = '';
    for (let i = 0; i < 50 && answered === ''; i++) {
      const again = await open();
      answered = await Promise.race([ask(again), again.closed.then(() => '')]);
    }
    expect(answered).toBe('HTTP/1.1 200 OK');
    for (const c of conns) c.destroy();
  });

  it('closes a connection that goes idle after http_idle_timeout_ms, after serving it', async () => {
    // Node's own keep-alive limit (5 s), or Fastify's (72 s), would close it too, later: the
    // limits in force must be the configured ones, on the server and on this connection.
    expect(server.keepAliveTimeout).toBe(300);
    const c = await open('127.0.0.3');
    expect(await ask(c)).toBe('HTTP/1.1 200 OK');
    // Nothing more is sent: the node ends it.
    await c.closed;
    expect(c.endedByServer()).toBe(true);
  });

  it('closes a connection that stalls mid-request after http_idle_timeout_ms, without an answer', async () => {
    // Keep-alive limits do not apply inside a request, and Node's header deadline would answer
    // 408 after 10 s: only the idle limit closes it silently.
    const c = await open('127.0.0.4');
    c.socket.write('POST /register HTTP/1.1\r\nHost: x\r\nContent-');
    expect(await c.closed).toBe('');
    expect(c.endedByServer()).toBe(true);
  });

  it('closes a kept-alive connection that stalls in its next request, without an answer', async () => {
    // Node re-arms a connection's timeout with the server-wide one at each new request.
    const c = await open('127.0.0.6');
    expect(await ask(c)).toBe('HTTP/1.1 200 OK');
    c.socket.write('POST /register HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
    // The first answer only: no 408 from Node's header deadline, 10 s on.
    const statusLines = (await c.closed).match(/HTTP\/1\.1 \d+ [^\r]*/g);
    expect(statusLines).toEqual(['HTTP/1.1 200 OK']);
    expect(c.endedByServer()).toBe(true);
  });

  it('answers headers over the limit with a JSON 431 and closes the connection', async () => {
    const c = await open('127.0.0.5');
    c.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const answer = await c.closed;
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      success: false,
      message: 'Request headers are larger than the limit',
    });
  });

  it('gives a request 10 s for its headers and 30 s in all, as docs/operations.md says', () => {
    // What Node does at these deadlines (a JSON 408) is tested with short ones in
    // test/unit/platform/connection-limits.spec.ts; the real ones would cost 40 s a test.
    expect(server.headersTimeout).toBe(10_000);
    expect(server.requestTimeout).toBe(30_000);
  });
});
