import { Agent } from 'node:http';
import { jsonOf, loopbackRequest } from '../lib/loopback-http';
import { now, sleep } from '../lib/time';

export interface LoadPlan {
  clients: number;
  /** Heartbeats per second over all clients, at most. */
  ratePerSecond: number;
  /** A hard cap on requests, whatever the time. */
  maxRequests: number;
}

/** Answers by kind: a change of leader shows as 403s (and 503s during the election). */
export interface LoadCounts {
  ok: number;
  notLeader: number;
  unavailable: number;
  failed: number;
}

/**
 * Heartbeats from `clients` concurrent clients that follow the leader as a real client does: to
 * the node they believe leads, to the `leader_api` a 403 names, and after a 503 or an error to
 * whoever the bench's watch last saw leading. The work of serving them moves with leadership.
 */
export class LeaderFollowingLoad {
  readonly counts: LoadCounts = { ok: 0, notLeader: 0, unavailable: 0, failed: 0 };
  private readonly agent: Agent;
  private sent = 0;

  constructor(
    private readonly apiPorts: number[],
    private readonly leader: () => number | null,
    private readonly usernames: string[],
    private readonly plan: LoadPlan,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: plan.clients });
  }

  /** Runs every client until `untilMs` (monotonic) or the request cap. */
  async run(untilMs: number): Promise<void> {
    const clients = Array.from({ length: this.plan.clients }, (_, c) => this.client(c, untilMs));
    await Promise.all(clients);
    this.agent.destroy();
  }

  private async client(c: number, untilMs: number): Promise<void> {
    const intervalMs = (1000 * this.plan.clients) / this.plan.ratePerSecond;
    let next = now();
    let target = this.leader() ?? 0;
    for (let k = c; now() < untilMs && this.sent < this.plan.maxRequests; k += this.plan.clients) {
      next += intervalMs;
      const wait = next - now();
      if (wait > 0) await sleep(wait);
      else next = now();
      this.sent++;
      const body = JSON.stringify({ username: this.usernames[k % this.usernames.length] });
      target = await this.send(target, body);
    }
  }

  /** One heartbeat; returns the node to send the next one to. */
  private async send(target: number, body: string): Promise<number> {
    try {
      const port = this.apiPorts[target];
      const res = await loopbackRequest(port, 'POST', '/heartbeat', 1000, body, this.agent);
      if (res.status === 200) {
        this.counts.ok++;
        return target;
      }
      if (res.status === 403) {
        this.counts.notLeader++;
        const named = this.apiPorts.findIndex((p) =>
          String(jsonOf(res)?.leader_api).endsWith(`:${p}`),
        );
        return named >= 0 ? named : (this.leader() ?? target);
      }
      this.counts.unavailable++;
    } catch {
      this.counts.failed++;
    }
    await sleep(20);
    return this.leader() ?? target;
  }
}

/** Registers `count` users at the leader (retrying through an election); returns their names. */
export async function registerUsers(port: () => number, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `flap-${i}`);
  for (const [i, username] of names.entries()) {
    const body = JSON.stringify({ username, addr: `10.1.${i >> 8}.${i & 255}:9000` });
    for (let attempt = 0; ; attempt++) {
      const res = await loopbackRequest(port(), 'POST', '/register', 2000, body).catch(() => null);
      if (res?.status === 200 || res?.status === 409) break;
      if (attempt >= 50)
        throw new Error(`cannot register ${username}: ${res?.status ?? 'no answer'}`);
      await sleep(100);
    }
  }
  return names;
}
