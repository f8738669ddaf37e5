import { backoffDelay } from './backoff';
import { errorFor, RollcallError, UnreachableError } from './errors';
import {
  type Answer,
  jsonRequest,
  type LeaderTransport,
  parseJson,
  type TransportDeps,
  type TransportOptions,
} from './transport';

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`: a cheap, stable spread of names over nodes. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The SDK's follower mode (a cluster with follower_heartbeats or follower_reads): requests go to
 * one node of the list, not to the leader, so that clients spread their load over every node.
 * Which node is stable per client (the hash of its name over the list; "" starts at the first
 * node, the nearest if the list is given nearest first), and moves to the next one on a 503 or an
 * unreachable node. A 403 means this node does not take the request (the option is off, its copy
 * is too old, or it has not applied the client's registration yet): that one request goes to the
 * leader, as without follower mode, and the client stays on its node.
 */
export class SpreadTransport {
  private at: number;

  constructor(
    private readonly nodes: string[],
    key: string,
    private readonly deps: TransportDeps,
    private readonly opts: TransportOptions,
    private readonly leader: LeaderTransport,
  ) {
    if (nodes.length === 0) throw new RangeError('RollcallClient needs at least one node');
    this.at = key === '' ? 0 : fnv1a(key) % nodes.length;
  }

  /** The node this client talks to now. */
  get current(): string {
    return this.nodes[this.at];
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const init = jsonRequest(method, body, headers);
    const deadline = this.deps.now() + this.opts.retryBudgetMs;
    let ambiguous = false;
    // Bounded twice: by the budget in pause(), and by this count should the clock not move.
    for (let attempt = 0; attempt < 1000; attempt++) {
      const base = this.current;
      let status: number;
      let text: string;
      try {
        const res = await this.deps.fetch(`${base}${path}`, {
          ...init,
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        ambiguous = true;
        this.moveOn();
        const why = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
        await this.pause(attempt, deadline, new UnreachableError(`${base}: ${why}`, 0));
        continue;
      }
      const parsed = text ? parseJson(text) : null;
      if (status === 403) {
        const answer = await this.leader.request(method, path, body, headers);
        return { ...answer, ambiguous: answer.ambiguous || ambiguous };
      }
      if (status === 503) {
        ambiguous = true;
        this.moveOn();
        await this.pause(attempt, deadline, errorFor(status, parsed));
        continue;
      }
      return { status, body: parsed, ambiguous };
    }
    throw new RollcallError('gave up after 1000 attempts', 0);
  }

  private moveOn(): void {
    this.at = (this.at + 1) % this.nodes.length;
  }

  private async pause(attempt: number, deadline: number, error: RollcallError): Promise<void> {
    const delay = backoffDelay(attempt, this.opts.backoff, this.deps.random);
    if (this.deps.now() + delay > deadline) throw error;
    await this.deps.sleep(delay);
  }
}
