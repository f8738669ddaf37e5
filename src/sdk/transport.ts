import { type BackoffOptions, backoffDelay } from './backoff';
import { errorFor, RollcallError, UnreachableError } from './errors';

export interface TransportDeps {
  fetch: typeof fetch;
  random: () => number;
  /** Monotonic milliseconds, for the retry budget. */
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface TransportOptions {
  backoff: BackoffOptions;
  /** How long one call may keep retrying 503s and unreachable nodes before it throws. */
  retryBudgetMs: number;
  /** Bound on one HTTP exchange (for a stream: until its headers arrive). */
  requestTimeoutMs: number;
}

export interface Answer {
  status: number;
  body: unknown;
  /** A failed attempt may have been applied (a reset mid-request, a 503 after the write). */
  ambiguous: boolean;
}

/**
 * Finds the leader and keeps talking to it: follows a 403's `leader_api`, and on a 503 or an
 * unreachable node moves to the next node after a jittered, exponentially growing pause.
 */
export class LeaderTransport {
  private leader: string | null = null;
  private next = 0;

  constructor(
    private readonly nodes: string[],
    private readonly deps: TransportDeps,
    private readonly opts: TransportOptions,
  ) {
    if (nodes.length === 0) throw new RangeError('RollcallClient needs at least one node');
  }

  /** The leader's base URL as last seen, or null before the first answer. */
  get currentLeader(): string | null {
    return this.leader;
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const { res, ambiguous } = await this.send(path, jsonRequest(method, body, headers), true);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, ambiguous };
  }

  /** A GET whose body the caller reads (a stream); `signal` ends it. */
  async open(path: string, headers: Record<string, string>, signal: AbortSignal) {
    return (await this.send(path, { method: 'GET', headers }, false, signal)).res;
  }

  private async send(
    path: string,
    init: RequestInit,
    readBody: boolean,
    signal?: AbortSignal,
  ): Promise<{ res: Response; ambiguous: boolean }> {
    const deadline = this.deps.now() + this.opts.retryBudgetMs;
    let ambiguous = false;
    let pauses = 0;
    let redirects = 0;
    // Bounded twice: by the budget in pause(), and by this count should the clock not move.
    for (let tries = 0; tries < 1000; tries++) {
      const base = this.leader ?? this.nodes[this.next % this.nodes.length];
      const exchange = new AbortController();
      const timer = setTimeout(() => exchange.abort(), this.opts.requestTimeoutMs);
      // The caller's signal must still reach a stream's body after this returns.
      const both = signal ? AbortSignal.any([exchange.signal, signal]) : exchange.signal;
      let res: Response;
      try {
        res = await this.deps.fetch(`${base}${path}`, { ...init, signal: both });
        if (readBody) {
          // Read inside the timeout: a node that hangs mid-answer counts as unreachable.
          const text = await res.text();
          res = new Response(text || null, { status: res.status, headers: res.headers });
        }
      } catch (err) {
        if (signal?.aborted) throw err;
        if (!isRefused(err)) ambiguous = true;
        this.moveOn(base);
        const why = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
        await this.pause(pauses++, deadline, new UnreachableError(`${base}: ${why}`, 0), signal);
        continue;
      } finally {
        clearTimeout(timer);
      }
      if (res.status === 403 || res.status === 503) {
        const text = await res.text().catch(() => '');
        const body = parseJson(text);
        // A 403 that names no leader is a refusal of its own (admin routes turned off): final.
        if (res.status === 403 && !namesLeadership(body)) {
          return {
            res: new Response(text || null, { status: 403, headers: res.headers }),
            ambiguous,
          };
        }
        const error = errorFor(res.status, body);
        const leaderApi = (body as { leader_api?: unknown } | null)?.leader_api;
        // A follower that names the leader: go there at once, unless followers keep pointing
        // at each other (a stale view), which the pause below waits out.
        if (res.status === 403 && typeof leaderApi === 'string' && leaderApi !== base) {
          this.leader = leaderApi.replace(/\/+$/, '');
          if (redirects++ < this.nodes.length + 1) continue;
        } else {
          if (res.status === 503) ambiguous = true;
          this.moveOn(base);
        }
        await this.pause(pauses++, deadline, error, signal);
        continue;
      }
      this.leader = base;
      return { res, ambiguous };
    }
    throw new RollcallError('gave up after 1000 attempts', 0);
  }

  private moveOn(base: string): void {
    if (this.leader === base) this.leader = null;
    const i = this.nodes.indexOf(base);
    this.next = i >= 0 ? i + 1 : this.next + 1;
  }

  private async pause(
    attempt: number,
    deadline: number,
    error: RollcallError,
    signal?: AbortSignal,
  ): Promise<void> {
    const delay = backoffDelay(attempt, this.opts.backoff, this.deps.random);
    if (this.deps.now() + delay > deadline) throw error;
    await this.deps.sleep(delay, signal);
  }
}

/** A request with `body`, if any, as JSON. */
export function jsonRequest(
  method: string,
  body: unknown,
  headers: Record<string, string>,
): RequestInit {
  if (body === undefined) return { method, headers: { ...headers } };
  return {
    method,
    body: JSON.stringify(body),
    headers: { ...headers, 'content-type': 'application/json' },
  };
}

/** An answer's JSON body; null when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** Whether a 403 is a follower's answer about leadership (it carries `current_leader`). */
function namesLeadership(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'current_leader' in body;
}

function isRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED';
}
