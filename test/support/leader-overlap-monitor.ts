import { checkOverlap } from '../../chaos/checker';
import type { LeaderAnswer } from '../../chaos/recorder';
import { waitFor } from './poll';

/**
 * Asks every node a leader-only route at once, round after round, and keeps every 200 with the
 * term it carried (Rollcall-Term) and when it was sent and answered. Two leaders served at once
 * when a node answered in an older term after another had answered in a newer one (the chaos
 * checker's test, which needs no bound on a round's length), or two nodes in the same term.
 *
 * What a test must also show is that it looked where it matters: `roundsInWindow()` counts the
 * rounds sent between the fault (`markFault()`) and the first 200 in a newer term, the window
 * in which an old and a new leader could overlap.
 */
export class LeaderOverlapMonitor {
  readonly answers: LeaderAnswer[] = [];
  /** 200s without a term: a leader-only answer must always carry one. */
  private readonly unstamped: string[] = [];
  private readonly roundsSentAt: number[] = [];
  private fault: { at: number; term: number } | null = null;
  private running = true;
  private loop: Promise<void> | null = null;

  constructor(private readonly urls: () => string[]) {}

  start(): this {
    this.loop = (async () => {
      // Bounded even if a test forgets to stop it: 20,000 rounds is minutes of polling.
      while (this.running && this.roundsSentAt.length < 20_000) {
        this.roundsSentAt.push(performance.now());
        await Promise.all(this.urls().map((url, node) => this.ask(url, node)));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    return this;
  }

  /**
   * Call right before the fault (kill, signal, cut): once the monitor has seen the leader serve,
   * so that it knows the term a new leader must exceed.
   */
  async markFault(): Promise<void> {
    await waitFor('the monitor to see the leader serve', () => this.answers.length > 0);
    this.fault = { at: performance.now(), term: Math.max(...this.answers.map((a) => a.term)) };
  }

  /** Waits until a leader served in a term after the fault's, then stops polling. */
  async stopOnceNewLeaderServed(): Promise<void> {
    await waitFor('a 200 in a newer term than the fault', () => this.firstNewTerm() !== undefined);
    await this.stop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Every overlap seen, described; empty when there was none. */
  overlaps(): string[] {
    const t = (x: number) => `${x.toFixed(1)} ms`;
    const found = [...checkOverlap(this.answers, t).examples, ...this.unstamped];
    const byTerm = new Map<number, Set<number>>();
    for (const a of this.answers) byTerm.set(a.term, (byTerm.get(a.term) ?? new Set()).add(a.node));
    for (const [term, nodes] of byTerm) {
      if (nodes.size > 1)
        found.push(`nodes ${[...nodes].join(' and ')} both served in term ${term}`);
    }
    return found;
  }

  /**
   * Rounds sent from the fault until the first 200 in a newer term, that one included: the
   * rounds that asked the old leader while the new one took over.
   */
  roundsInWindow(): number {
    const end = this.firstNewTerm()?.recv;
    if (this.fault === null || end === undefined) return 0;
    const from = this.fault.at;
    return this.roundsSentAt.filter((at) => at >= from && at <= end).length;
  }

  private firstNewTerm(): LeaderAnswer | undefined {
    const fault = this.fault;
    if (fault === null) return undefined;
    return this.answers
      .filter((a) => a.term > fault.term && a.send >= fault.at)
      .sort((a, b) => a.recv - b.recv)[0];
  }

  private async ask(url: string, node: number): Promise<void> {
    const send = performance.now();
    try {
      const res = await fetch(`${url}/users`, { signal: AbortSignal.timeout(500) });
      const recv = performance.now();
      await res.arrayBuffer();
      const term = Number(res.headers.get('rollcall-term'));
      if (res.status === 200)
        this.answers.push({ node, term, route: '/users', send, recv, source: 'prober' });
    } catch {
      // A node killed, stopped or cut off answers nothing: not an answer to check.
    }
  }
}
