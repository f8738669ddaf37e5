import { now, pause } from './clock';
import type { Prng } from './prng';
import type { Recorder } from './recorder';
import { recordAnswer } from './recording-fetch';

/** Upper bound on any loop here, whatever happens to the stop signal: hours of polling. */
const MAX_ROUNDS = 1_000_000;
/** How often a slot with no process is looked at again. */
const IDLE_SLOT_MS = 200;

/**
 * Asks every node a leader-only route (/discover) every 20-50 ms and its health every ~200 ms,
 * each node on its own loop so that a stopped node does not slow the others down. Every 200 is
 * recorded with its term; health answers say who claims to lead which term.
 */
export class Prober {
  private readonly stop = new AbortController();
  private loops: Promise<void>[] = [];
  /** The node that most recently said it leads, by health, and when. */
  lastLeader: { node: number; term: number; at: number } | null = null;

  constructor(
    private readonly urls: () => string[],
    private readonly recorder: Recorder,
    private readonly rng: Prng,
    /** Whether slot i runs a process: a spare not started yet or a retired node is not asked. */
    private readonly isUp: (i: number) => boolean = () => true,
  ) {}

  start(): this {
    const n = this.urls().length;
    for (let i = 0; i < n; i++) {
      const probeRng = this.rng.fork(`probe-${i}`);
      this.loops.push(
        this.loop(
          i,
          () => probeRng.between(20, 50),
          () => this.probe(i),
        ),
      );
      const healthRng = this.rng.fork(`health-${i}`);
      this.loops.push(
        this.loop(
          i,
          () => healthRng.between(150, 250),
          () => this.askHealth(i),
        ),
      );
    }
    return this;
  }

  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.loops);
  }

  /**
   * Asks node i with `askOnce` until close(), `pauseMs()` apart; a slot with no process is
   * looked at again every IDLE_SLOT_MS.
   */
  private async loop(i: number, pauseMs: () => number, askOnce: () => Promise<void>) {
    for (let round = 0; round < MAX_ROUNDS && !this.stop.signal.aborted; round++) {
      if (!this.isUp(i)) {
        await pause(IDLE_SLOT_MS, this.stop.signal);
        continue;
      }
      await askOnce();
      await pause(pauseMs(), this.stop.signal);
    }
  }

  private async probe(i: number): Promise<void> {
    const send = now();
    try {
      const res = await fetch(`${this.urls()[i]}/discover`, {
        signal: AbortSignal.timeout(1000),
      });
      const recv = now();
      const body = await res.text();
      if (res.status === 200) {
        this.recorder.ops.probe.ok++;
        // With follower_reads a follower answers too, and says so (Rollcall-Lag-Ms).
        recordAnswer(this.recorder, res.headers, {
          node: i,
          route: '/discover',
          header: res.headers.get('rollcall-term'),
          send,
          recv,
          source: 'prober',
          requestBody: null,
          responseBody: body,
        });
      } else this.recorder.ops.probe.other++;
    } catch {
      this.recorder.ops.probe.other++;
    }
  }

  private async askHealth(i: number): Promise<void> {
    const send = now();
    try {
      const res = await fetch(`${this.urls()[i]}/`, { signal: AbortSignal.timeout(1000) });
      const h = (await res.json()) as { is_leader?: boolean; term?: number };
      const at = now();
      this.recorder.ops.health.ok++;
      if (h.is_leader === true && typeof h.term === 'number') {
        this.recorder.claims.push({ term: h.term, node: i, how: 'health', at, send });
        if (!this.lastLeader || at >= this.lastLeader.at)
          this.lastLeader = { node: i, term: h.term, at };
      }
    } catch {
      this.recorder.ops.health.failed++;
    }
  }
}
