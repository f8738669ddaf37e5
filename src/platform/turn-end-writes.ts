/**
 * Runs the writes handed to it together, once the event loop has taken in every request that
 * was ready (setImmediate: the check phase, after the turn's poll phase), instead of each the
 * moment its answer is ready.
 *
 * Why: an answer written at once wakes the client for that answer alone, and on loopback the
 * writer pays for each wake-up, in the write and in being preempted by the client it woke.
 * Written together, they wake it once for many. Under the bench's load a single node used
 * about 40% less CPU per heartbeat this way (docs/BENCHMARKS.md, "Answers at the end of the
 * turn"). An answer waits at most for the rest of the turn's requests. Answers released by a
 * round with the peers come in a burst already, and are not held (server-heartbeat.ts).
 */
export class TurnEndWrites {
  private due: (() => void)[] = [];

  add(write: () => void): void {
    this.due.push(write);
    if (this.due.length === 1) setImmediate(() => this.runDue());
  }

  private runDue(): void {
    const writes = this.due;
    // A write added while these run waits for the next turn's pass.
    this.due = [];
    for (const write of writes) write();
  }
}
