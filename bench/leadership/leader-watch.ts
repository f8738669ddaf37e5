import { jsonOf, loopbackRequest } from '../lib/loopback-http';
import { now } from '../lib/time';

export interface Reign {
  /** Index of the node, and ms since the watch began. */
  leader: number;
  term: number;
  at: number;
}

/**
 * Asks every node's GET / in rounds and records each new leader: the node that says it leads
 * in the highest term any node reports. A round takes a few ms, far below an election's time.
 */
export class LeaderWatch {
  readonly reigns: Reign[] = [];
  private readonly t0 = now();

  constructor(private readonly apiPorts: number[]) {}

  /** The leader as last seen, or null before the first. */
  get current(): number | null {
    return this.reigns.at(-1)?.leader ?? null;
  }

  elapsedMs(): number {
    return now() - this.t0;
  }

  async round(): Promise<void> {
    const healths = await Promise.all(
      this.apiPorts.map((port) => loopbackRequest(port, 'GET', '/', 300).then(jsonOf, () => null)),
    );
    let best: { leader: number; term: number } | null = null;
    for (const [i, h] of healths.entries()) {
      const term = typeof h?.term === 'number' ? h.term : -1;
      if (h?.is_leader === true && (best === null || term > best.term)) best = { leader: i, term };
    }
    if (best !== null && best.leader !== this.current) {
      this.reigns.push({ ...best, at: Math.round(this.elapsedMs()) });
    }
  }

  /** Changes of leader after `fromMs` (a reign that began then counts as one change). */
  changesSince(fromMs: number): number {
    return this.reigns.filter((r, k) => k > 0 && r.at >= fromMs).length;
  }
}
