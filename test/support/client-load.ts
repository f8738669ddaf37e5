import { setTimeout as sleep } from 'node:timers/promises';
import { RollcallClient, UsernameTakenError } from '../../src/sdk';

export interface ClientLoadOptions {
  /** Every API the clients may try (they follow the leader among them). */
  nodes: string[];
  /** Clients that register once, then heartbeat until stop(). */
  clients: number;
  heartbeatEveryMs: number;
  /** Each client's rounds (a heartbeat, acknowledged or not, and its pause) end after this many. */
  maxHeartbeatsPerClient: number;
  /** Besides them, a new user registers this often, up to `maxRegistrations`. */
  registerEveryMs: number;
  maxRegistrations: number;
  /** The load stops by itself after this long, stop() or not. */
  maxDurationMs: number;
}

/**
 * A bounded SDK workload for cluster tests: clients that register and heartbeat, and a stream
 * of new registrations, keeping what the cluster acknowledged (a 200) and when. Bounded in
 * count (clients, heartbeats per client, registrations) and in time (maxDurationMs; each
 * call's SDK retry budget).
 */
export class ClientLoad {
  /** Usernames whose registration the cluster acknowledged. */
  readonly registered = new Set<string>();
  /** Each heartbeating client's last acknowledged heartbeat: Date.now() when the 200 came. */
  readonly lastBeatAckAt = new Map<string, number>();
  heartbeatsAcked = 0;
  private readonly stopping = new AbortController();
  private running: Promise<void>[] = [];
  private deadline = 0;

  constructor(private readonly opts: ClientLoadOptions) {}

  start(): void {
    this.deadline = Date.now() + this.opts.maxDurationMs;
    const beaters = Array.from({ length: this.opts.clients }, (_, k) => this.beat(`beat-${k}`));
    this.running = [...beaters, this.registerMany()];
  }

  /** Ends every loop after its call in flight; resolves when all have ended. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.running);
  }

  private get going(): boolean {
    return !this.stopping.signal.aborted && Date.now() < this.deadline;
  }

  private client(username: string): RollcallClient {
    // Short budgets: a call that cannot finish is simply not acknowledged, and stop() is prompt.
    return new RollcallClient({
      nodes: this.opts.nodes,
      username,
      addr: `127.0.0.1:${20_000 + this.registered.size}`,
      retryBudgetMs: 5_000,
      requestTimeoutMs: 2_000,
    });
  }

  private async beat(username: string): Promise<void> {
    const client = this.client(username);
    let registered = false;
    for (let round = 0; round < this.opts.maxHeartbeatsPerClient && this.going; round++) {
      try {
        if (!registered) registered = await this.register(client, username);
        await client.heartbeat();
        this.lastBeatAckAt.set(username, Date.now());
        this.heartbeatsAcked++;
      } catch {
        // Not acknowledged: nothing is expected of it. The next round tries again.
      }
      await this.pause(this.opts.heartbeatEveryMs);
    }
  }

  /**
   * True once the name is registered: acknowledged (kept in `registered`), or taken by an
   * earlier attempt of ours whose answer was lost (then nothing was acknowledged).
   */
  private async register(client: RollcallClient, username: string): Promise<boolean> {
    try {
      await client.register();
      this.registered.add(username);
      return true;
    } catch (err) {
      if (err instanceof UsernameTakenError) return true;
      throw err;
    }
  }

  private async registerMany(): Promise<void> {
    for (let n = 0; n < this.opts.maxRegistrations && this.going; n++) {
      const username = `user-${n}`;
      try {
        await this.client(username).register();
        this.registered.add(username);
      } catch {
        // Not acknowledged (it may still have committed; only acknowledged ones are checked).
      }
      await this.pause(this.opts.registerEveryMs);
    }
  }

  /** The load's pace between two calls of one loop; stop() cuts it short. */
  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }
}
