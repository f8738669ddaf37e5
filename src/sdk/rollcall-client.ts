import { type BackoffOptions, DEFAULT_BACKOFF, jittered } from './backoff';
import { errorFor, RollcallError } from './errors';
import { SpreadTransport } from './spread-transport';
import { hasTlsOptions, type TlsClientOptions, tlsFetch } from './tls-fetch';
import { LeaderTransport, type TransportDeps } from './transport';
import { type WatchEvent, Watcher } from './watcher';

export interface Peer {
  username: string;
  addr: string;
}

export interface OnlinePeer extends Peer {
  last_seen: string;
  last_seen_ms_ago: number;
}

export interface RollcallClientOptions {
  /** Any nodes of the cluster: `http(s)://host:port` or `host:port` (their HTTP API). */
  nodes: string[];
  /** This client's name and `host:port`, for register() and the heartbeats. */
  username?: string;
  addr?: string;
  /**
   * The token /register gave this client, if it registered earlier (register() keeps the one it
   * gets). Heartbeats carry it; the cluster needs it to move the client or when it requires it.
   */
  token?: string;
  /** Between heartbeats (default 10 s, the seed's), moved by up to ±`heartbeatJitter`. */
  heartbeatIntervalMs?: number;
  /** Fraction of the interval (default 0.1). */
  heartbeatJitter?: number;
  backoff?: Partial<BackoffOptions>;
  /** How long one call keeps retrying an election or unreachable nodes (default 30 s). */
  retryBudgetMs?: number;
  /** Bound on one HTTP exchange (default 5 s). */
  requestTimeoutMs?: number;
  /** A stream silent this long is taken as dead and reopened (default 45 s: 3 keep-alives). */
  streamIdleTimeoutMs?: number;
  /**
   * For a cluster with follower_heartbeats and follower_reads: heartbeats go to one node chosen
   * by this client's name (stable, so clients spread over the nodes), moving to the next node
   * when it fails; discover() reads from the first node that answers, in the order given (list
   * the nearest first). Anything a node will not take goes to the leader. Default false.
   */
  followerMode?: boolean;
  /** Heartbeat failures the loop survives; by default they are ignored. */
  onError?: (err: Error) => void;
  /** For https:// nodes: the CA to trust (and a client certificate). Verification is never off. */
  tls?: TlsClientOptions;
  /** For tests. */
  fetch?: typeof fetch;
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A rollcall cluster as one client sees it: it finds the leader and follows it. */
export class RollcallClient {
  private readonly transport: LeaderTransport;
  /** Follower mode: heartbeats through this client's node, reads through the first that answers. */
  private readonly beats: SpreadTransport | null = null;
  private readonly reads: SpreadTransport | null = null;
  private readonly deps: TransportDeps;
  private loop: Promise<void> | null = null;
  private loopStop: AbortController | null = null;
  private token: string | undefined;

  constructor(private readonly opts: RollcallClientOptions) {
    this.token = opts.token;
    this.deps = {
      fetch: opts.fetch ?? (hasTlsOptions(opts.tls) ? tlsFetch(opts.tls) : fetch),
      random: opts.random ?? Math.random,
      now: opts.now ?? (() => performance.now()),
      sleep: opts.sleep ?? sleep,
    };
    const nodes = opts.nodes.map(normalize);
    const transportOptions = {
      backoff: { ...DEFAULT_BACKOFF, ...opts.backoff },
      retryBudgetMs: opts.retryBudgetMs ?? 30_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 5_000,
    };
    this.transport = new LeaderTransport(nodes, this.deps, transportOptions);
    if (opts.followerMode) {
      const key = opts.username ?? '';
      this.beats = new SpreadTransport(nodes, key, this.deps, transportOptions, this.transport);
      this.reads = new SpreadTransport(nodes, '', this.deps, transportOptions, this.transport);
    }
  }

  /** Follower mode: the node this client's heartbeats go to now; null otherwise. */
  get heartbeatNode(): string | null {
    return this.beats?.current ?? null;
  }

  /** The leader's API as last seen. */
  get leader(): string | null {
    return this.transport.currentLeader;
  }

  /** The token from register(), to keep for a later run (it is shown only once). */
  get clientToken(): string | undefined {
    return this.token;
  }

  /** Registers this client once; throws UsernameTakenError if the name is someone else's. */
  async register(): Promise<{ user_id: string; token?: string }> {
    const { username, addr } = this.identity(true);
    const answer = await this.transport.request('POST', '/register', { username, addr });
    if (answer.status === 409 && answer.ambiguous) {
      // An earlier attempt may have committed before its answer was lost (docs/api.md: a 409
      // after a 503 means it did). It did if the registration is ours.
      const mine = await this.findUser(username);
      // Its token went with the lost answer: the client goes on without one.
      if (mine && mine.addr === addr) return { user_id: mine.user_id };
    }
    const registered = this.ok(answer) as { user_id: string; token?: string };
    this.token = registered.token;
    return registered;
  }

  /** One heartbeat; `addr`, if set, tells the cluster this client moved. */
  async heartbeat(): Promise<void> {
    const { username, addr } = this.identity(false);
    const auth: Record<string, string> = this.token
      ? { authorization: `Bearer ${this.token}` }
      : {};
    const via = this.beats ?? this.transport;
    this.ok(await via.request('POST', '/heartbeat', { username, addr }, auth));
  }

  /** Heartbeats now and then every interval (with jitter) until stop(). */
  start(): void {
    if (this.loop) return;
    const stop = new AbortController();
    this.loopStop = stop;
    this.loop = (async () => {
      while (!stop.signal.aborted) {
        try {
          await this.heartbeat();
        } catch (err) {
          this.opts.onError?.(err as Error);
        }
        const interval = this.opts.heartbeatIntervalMs ?? 10_000;
        const wait = jittered(interval, this.opts.heartbeatJitter ?? 0.1, this.deps.random);
        await this.deps.sleep(wait, stop.signal).catch(() => undefined);
      }
    })();
  }

  /** Ends the heartbeat loop, after the heartbeat in flight (if any). */
  async stop(): Promise<void> {
    this.loopStop?.abort();
    await this.loop;
    this.loop = null;
    this.loopStop = null;
  }

  /** Who is online now. */
  async discover(): Promise<OnlinePeer[]> {
    const via = this.reads ?? this.transport;
    const body = this.ok(await via.request('GET', '/discover')) as {
      online_clients: OnlinePeer[];
    };
    return body.online_clients;
  }

  /**
   * Follows /discover/stream: `onChange` gets a snapshot, then each change, with the online set
   * after it. Reconnects with Last-Event-ID, following the leader, until `stop()`.
   */
  watch(onChange: (event: WatchEvent, online: ReadonlyMap<string, string>) => void): Watcher {
    return new Watcher(this.transport, this.deps, onChange, {
      idleTimeoutMs: this.opts.streamIdleTimeoutMs ?? 45_000,
      backoff: { ...DEFAULT_BACKOFF, ...this.opts.backoff },
    });
  }

  private async findUser(username: string) {
    const body = this.ok(await this.transport.request('GET', '/users')) as {
      users: { username: string; addr: string; user_id: string }[];
    };
    return body.users.find((u) => u.username === username);
  }

  private identity(needAddr: boolean): { username: string; addr?: string } {
    const { username, addr } = this.opts;
    if (!username || (needAddr && !addr)) {
      throw new RollcallError(`RollcallClient needs username${needAddr ? ' and addr' : ''}`, 0);
    }
    return { username, addr };
  }

  private ok(answer: { status: number; body: unknown }): unknown {
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    throw errorFor(answer.status, answer.body);
  }
}

function normalize(node: string): string {
  const url = /^https?:\/\//.test(node) ? node : `http://${node}`;
  return url.replace(/\/+$/, '');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
