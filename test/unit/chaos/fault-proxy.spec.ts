import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePorts } from '../../support/free-port';
import { FrameSplitter, ProxyMesh, senderOf } from '../../support/fault-proxy';
import { waitFor } from '../../support/poll';

function frame(version: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length + 1, 0);
  head.writeUInt8(version, 4);
  return Buffer.concat([head, body]);
}

const json = (o: unknown) => frame(1, Buffer.from(JSON.stringify(o)));

describe('fault proxy framing', () => {
  it('returns whole frames as their original bytes, however the stream is cut', () => {
    const frames = [json({ from: 'a', n: 1 }), frame(2, Buffer.from([0, 255, 7])), json({ n: 3 })];
    const stream = Buffer.concat(frames);
    const splitter = new FrameSplitter();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 3)
      out.push(...splitter.push(stream.subarray(i, i + 3)));
    expect(out).toEqual(frames);
    expect(senderOf(out[0])).toBe('a');
    expect(senderOf(out[1])).toBeNull();
  });

  it('refuses a frame longer than 1 MiB before its body arrives', () => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(1024 * 1024 + 1, 0);
    expect(() => new FrameSplitter().push(head)).toThrow(/outside/);
  });
});

describe('ProxyMesh', () => {
  let mesh: ProxyMesh;
  let server: Server;
  let dialer: Socket;
  let to: string;
  const received: Buffer[] = [];

  beforeEach(async () => {
    received.length = 0;
    const [target, proxy] = await freePorts(2);
    server = createServer((s) => {
      const splitter = new FrameSplitter();
      s.on('data', (chunk: Buffer) => received.push(...splitter.push(chunk)));
    });
    server.listen(target, '127.0.0.1');
    await once(server, 'listening');
    to = `127.0.0.1:${proxy}`;
    mesh = new ProxyMesh(new Map([[to, target]]), { seed: 42 });
    await mesh.start();
    dialer = connect({ host: '127.0.0.1', port: proxy });
    await once(dialer, 'connect');
  });

  afterEach(async () => {
    dialer.destroy();
    await mesh.stop();
    await new Promise((r) => server.close(r));
  });

  it('keeps frame order through a delay that shrinks midway, and forwards bytes verbatim', async () => {
    mesh.setDelay('peer', to, 150);
    const frames = [json({ from: 'peer', n: 0 }), frame(2, Buffer.from('opaque'))];
    for (const f of frames) dialer.write(f);
    await waitFor('the first frames to be queued', () => mesh.stats.delayed === 2);
    mesh.setDelay('peer', to, 0);
    for (let n = 1; n <= 20; n++) frames.push(json({ n }));
    for (const f of frames.slice(2)) dialer.write(f);
    await waitFor('every frame', () => received.length === frames.length);
    expect(received).toEqual(frames);
  });

  it('drops about the configured share of frames on a lossy direction, and none after heal', async () => {
    dialer.write(json({ from: 'peer', n: 0 }));
    await waitFor('the first frame', () => received.length === 1);
    mesh.setLoss('peer', to, 0.5);
    for (let n = 1; n <= 400; n++) dialer.write(json({ n }));
    await waitFor(
      '400 frames handled',
      () => mesh.stats.forwarded + mesh.stats.droppedByLoss === 401,
    );
    expect(mesh.stats.droppedByLoss).toBeGreaterThan(100);
    expect(mesh.stats.droppedByLoss).toBeLessThan(300);
    // Counted as forwarded is not yet received: the count after heal must start from all of them.
    await waitFor('the forwarded frames to arrive', () => received.length === mesh.stats.forwarded);
    mesh.heal();
    const [before, dropped] = [received.length, mesh.stats.droppedByLoss];
    for (let n = 0; n < 50; n++) dialer.write(json({ n }));
    await waitFor('50 more frames', () => received.length === before + 50);
    expect(mesh.stats.droppedByLoss).toBe(dropped);
  });

  it('refuses connections and drops the relayed ones while refusing, and accepts again', async () => {
    dialer.write(json({ from: 'peer', n: 0 }));
    await waitFor('the first frame', () => received.length === 1);
    const dropped = once(dialer, 'close');
    await mesh.refuse(to);
    await dropped;
    const port = Number(to.split(':')[1]);
    const attempt = () =>
      new Promise<string>((resolve) => {
        const s = connect({ host: '127.0.0.1', port });
        s.once('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
    expect(await attempt()).toBe('ECONNREFUSED');
    await mesh.accept(to);
    expect(await attempt()).toBe('connected');
  });
});
