import { connect, createServer, type Server, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from '../../src/election/transport/frame-codec';

/**
 * A fault-injecting TCP proxy mesh for the election port. Each node is known to its peers by a
 * proxy address (its id) while it listens elsewhere (ELECTION_BIND); the proxy in front of a
 * node learns each connection's sender from its first frame, so it can cut any direction.
 * A cut drops frames and keeps the connection open, as a real partition does: nobody gets a
 * refusal or a reset.
 */
export class ProxyMesh {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly blocked = new Set<string>();
  delayMs = 0;

  /** `routes` maps each node id (a proxy address on 127.0.0.1) to the port the node listens on. */
  constructor(private readonly routes: Map<string, number>) {}

  async start(): Promise<void> {
    for (const [id, target] of this.routes) {
      const server = createServer((client) => this.relay(id, target, client));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number(id.split(':')[1]), '127.0.0.1', () => resolve());
      });
      this.servers.push(server);
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }

  /** Cuts every link between groups; links inside a group stay up. */
  partition(...groups: string[][]): void {
    this.heal();
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const from of a) for (const to of b) this.blocked.add(`${from}>${to}`);
      }
    }
  }

  isolate(id: string): void {
    this.partition(
      [id],
      [...this.routes.keys()].filter((k) => k !== id),
    );
  }

  /** Cuts one direction only. */
  cut(from: string, to: string): void {
    this.blocked.add(`${from}>${to}`);
  }

  heal(): void {
    this.blocked.clear();
  }

  private relay(to: string, target: number, client: Socket): void {
    const upstream = connect({ host: '127.0.0.1', port: target });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const decoder = new FrameDecoder();
    let from: string | null = null;
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch {
        return close();
      }
      for (const frame of frames) {
        from ??= (frame as { from?: string }).from ?? null;
        if (from !== null && this.blocked.has(`${from}>${to}`)) continue;
        const bytes = encodeFrame(frame);
        if (this.delayMs > 0) setTimeout(() => upstream.write(bytes), this.delayMs);
        else upstream.write(bytes);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
  }
}
