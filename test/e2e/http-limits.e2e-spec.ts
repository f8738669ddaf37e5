import { type InProcessNode, startInProcessNode } from '../support/in-process-node';
import { connect, type Socket } from 'node:net';

interface Conn {
  socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
}

describe('HTTP connection limits', () => {
  let node: InProcessNode;
  let port: number;
  const conns: Socket[] = [];

  beforeAll(async () => {
    node = await startInProcessNode({
      file: { extra: 'http_max_connections_per_address = 3\nhttp_idle_timeout_ms = 300' },
      lead: false,
    });
    port = node.port;
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
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.on('error', () => undefined);
      const closed = new Promise<string>((r) => socket.once('close', () => r(got)));
      socket.once('connect', () => resolve({ socket, closed }));
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

  it('closes a connection that goes idle, after serving it', async () => {
    const c = await open('127.0.0.3');
    expect(await ask(c)).toBe('HTTP/1.1 200 OK');
    // Nothing more is sent: the server closes it after http_idle_timeout_ms.
    await c.closed;
    expect(c.socket.destroyed).toBe(true);
  });
});
