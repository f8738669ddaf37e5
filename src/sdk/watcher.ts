import { type BackoffOptions, backoffDelay } from './backoff';
import { errorFor, RollcallError } from './errors';
import { SseParser } from './sse-parser';
import type { LeaderTransport, TransportDeps } from './transport';

export type WatchEvent =
  | { type: 'snapshot'; clients: { username: string; addr: string }[] }
  | { type: 'online'; username: string; addr: string }
  | { type: 'offline'; username: string };

interface WatcherOptions {
  idleTimeoutMs: number;
  backoff: BackoffOptions;
}

/**
 * One watch() over /discover/stream. A stream ends when its leader stops leading or dies; the
 * watcher then reopens it on whoever leads, with the last id it saw, so that the same leader
 * replays what was missed and a new one sends a snapshot.
 */
export class Watcher {
  /** Resolves once stopped; rejects if the cluster stayed out of reach for a whole budget. */
  readonly closed: Promise<void>;
  private readonly online = new Map<string, string>();
  private readonly stopping = new AbortController();
  private lastEventId: string | undefined;

  constructor(
    private readonly transport: LeaderTransport,
    private readonly deps: TransportDeps,
    private readonly onChange: (event: WatchEvent, online: ReadonlyMap<string, string>) => void,
    private readonly opts: WatcherOptions,
  ) {
    this.closed = this.run();
    // The caller may only ever call stop(); an unobserved rejection must not crash the process.
    this.closed.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.closed.catch(() => undefined);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        const delivered = await this.once();
        failures = delivered ? 0 : failures + 1;
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        // A RollcallError means the transport spent its whole retry budget, or the server
        // refused the stream outright: say so. Anything else is a broken connection (a killed
        // leader, the idle timeout), which is what reconnecting is for.
        if (err instanceof RollcallError) throw err;
        failures++;
      }
      if (this.stopping.signal.aborted) return;
      // A stream that ends is normal (the leader changed); the new leader may not be ready, and
      // every watcher of the old one is reconnecting at the same moment.
      const delay = backoffDelay(failures, this.opts.backoff, this.deps.random);
      await this.deps.sleep(delay, this.stopping.signal).catch(() => undefined);
    }
  }

  /** One connection, until it ends; true if it delivered anything. */
  private async once(): Promise<boolean> {
    const connection = new AbortController();
    const abort = () => connection.abort();
    this.stopping.signal.addEventListener('abort', abort, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    const resetIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(abort, this.opts.idleTimeoutMs);
    };
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
      const res = await this.transport.open('/discover/stream', headers, connection.signal);
      if (res.status !== 200 || !res.body) {
        throw errorFor(res.status, await res.json().catch(() => null));
      }
      resetIdle();
      const parser = new SseParser();
      const decoder = new TextDecoder();
      let delivered = false;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        resetIdle();
        for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
          this.deliver(message.event, JSON.parse(message.data) as Record<string, unknown>);
          if (message.id !== undefined) this.lastEventId = message.id;
          delivered = true;
        }
      }
      return delivered;
    } finally {
      clearTimeout(idle);
      this.stopping.signal.removeEventListener('abort', abort);
    }
  }

  private deliver(type: string, data: Record<string, unknown>): void {
    const str = (v: unknown) => String(v);
    let event: WatchEvent;
    if (type === 'snapshot') {
      const clients = (data.online_clients as { username: string; addr: string }[]).map((c) => ({
        username: c.username,
        addr: c.addr,
      }));
      this.online.clear();
      for (const c of clients) this.online.set(c.username, c.addr);
      event = { type, clients };
    } else if (type === 'online') {
      event = { type, username: str(data.username), addr: str(data.addr) };
      this.online.set(event.username, event.addr);
    } else if (type === 'offline') {
      event = { type, username: str(data.username) };
      this.online.delete(event.username);
    } else {
      return;
    }
    this.onChange(event, this.online);
  }
}
