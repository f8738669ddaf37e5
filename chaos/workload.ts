import { RollcallClient } from '../src/sdk';
import { now, pause } from './clock';
import type { Prng } from './prng';
import type { Recorder } from './recorder';
import { recordingFetch } from './recording-fetch';

export interface WorkloadOptions {
  urls: string[];
  seed: number;
  /** Clients heartbeating at once; the oldest stops when a new one registers past this. */
  activeClients: number;
  /** Registrations at start, before the steady rate. */
  initialClients: number;
  /** Pause between registrations, ms (drawn uniformly). */
  registerEveryMs: [number, number];
  heartbeatIntervalMs: number;
  discoverers: number;
  discoverEveryMs: [number, number];
  /** SDK follower mode: heartbeats spread over the nodes, reads from the first that answers. */
  followerMode: boolean;
}

/** Bounds every loop in the workload whatever the stop signal does. */
const MAX_REGISTRATIONS = 20_000;
const MAX_DISCOVERS = 1_000_000;

/**
 * SDK clients against the whole cluster, each finding the leader itself: a steady trickle of
 * registrations, every registered client heartbeating until it is retired (the oldest, once
 * more than `activeClients` are online), and a few discover loops. Every leader-served 200 goes
 * to the recorder through the SDK's fetch.
 */
export class Workload {
  private readonly stop = new AbortController();
  private readonly active: RollcallClient[] = [];
  private loops: Promise<void>[] = [];
  private registered = 0;

  constructor(
    private readonly o: WorkloadOptions,
    private readonly recorder: Recorder,
    private readonly rng: Prng,
  ) {}

  start(): this {
    this.loops.push(this.registerLoop(this.rng.fork('register')));
    for (let d = 0; d < this.o.discoverers; d++) {
      this.loops.push(this.discoverLoop(d, this.rng.fork(`discover-${d}`)));
    }
    if (this.o.followerMode) this.loops.push(this.usersLoop(this.rng.fork('users')));
    return this;
  }

  /** Stops registering and discovering, then every heartbeat loop (after its call in flight). */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.loops);
    await Promise.all(this.active.splice(0).map((c) => c.stop()));
  }

  private client(rng: Prng, username?: string, addr?: string): RollcallClient {
    const nodeOf = (base: string) => this.o.urls.indexOf(base);
    return new RollcallClient({
      nodes: rng.shuffle(this.o.urls),
      username,
      addr,
      followerMode: this.o.followerMode,
      heartbeatIntervalMs: this.o.heartbeatIntervalMs,
      heartbeatJitter: 0.3,
      // Short enough that a call gives up inside a long fault and the loop goes on; long
      // enough to ride out an election.
      retryBudgetMs: 5_000,
      requestTimeoutMs: 2_000,
      backoff: { baseMs: 25, maxMs: 500 },
      random: rng.fn,
      fetch: recordingFetch(this.recorder, nodeOf, 'workload'),
      onError: (err) => this.recorder.failed('heartbeat', err),
    });
  }

  private async registerLoop(rng: Prng): Promise<void> {
    for (let k = 0; k < MAX_REGISTRATIONS && !this.stop.signal.aborted; k++) {
      const username = `s${this.o.seed}-c${k}`;
      const addr = `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}:${9000 + (k % 1000)}`;
      const client = this.client(rng.fork(username), username, addr);
      try {
        const { user_id } = await client.register();
        this.recorder.ops.register.ok++;
        this.recorder.registrations.push({ username, userId: user_id, at: now() });
        this.registered++;
        this.heartbeat(client);
      } catch (err) {
        this.recorder.failed('register', err);
      }
      if (k >= this.o.initialClients) {
        await pause(rng.between(...this.o.registerEveryMs), this.stop.signal);
      }
    }
  }

  private heartbeat(client: RollcallClient): void {
    if (this.stop.signal.aborted) return;
    this.active.push(client);
    client.start();
    if (this.active.length > this.o.activeClients) {
      const retired = this.active.shift()!;
      this.loops.push(retired.stop());
    }
  }

  /**
   * Follower mode: GET /users from a node drawn at random, as often as a discoverer reads. A
   * follower answers it from its registry while that is recent enough (follower_reads), anyone
   * else with 403 or 503, which is no failure here: the SDK's reads go to /discover.
   */
  private async usersLoop(rng: Prng): Promise<void> {
    const nodeOf = (base: string) => this.o.urls.indexOf(base);
    const recorded = recordingFetch(this.recorder, nodeOf, 'workload');
    for (let k = 0; k < MAX_DISCOVERS && !this.stop.signal.aborted; k++) {
      const url = this.o.urls[Math.floor(rng.next() * this.o.urls.length)];
      try {
        const res = await recorded(`${url}/users`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
      } catch {
        // A node down or stopped: the next read goes elsewhere.
      }
      await pause(rng.between(...this.o.discoverEveryMs), this.stop.signal);
    }
  }

  private async discoverLoop(d: number, rng: Prng): Promise<void> {
    const client = this.client(rng.fork(`discoverer-${d}`));
    for (let k = 0; k < MAX_DISCOVERS && !this.stop.signal.aborted; k++) {
      try {
        await client.discover();
        this.recorder.ops.discover.ok++;
      } catch (err) {
        this.recorder.failed('discover', err);
      }
      await pause(rng.between(...this.o.discoverEveryMs), this.stop.signal);
    }
  }
}
