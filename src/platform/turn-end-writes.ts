/**
 * Runs the writes handed to it together, once the event loop has taken in every request that
 * was ready (setImmediate: the check phase, after the turn's poll phase), instead of each the
 * moment its answer is ready.
 *
 * Why: an answer written at once reaches a client that is waiting for it, which sends its next
 * request straight away, so the server takes one request per turn of its event loop and pays a
 * whole turn (and a sleep and a wake-up) for each. Answers that leave together let the requests
 * pile up while the server works. On the 2-core bench a single node's heartbeats cost about 44
 * µs of CPU each when answered at once and about 23 µs at the end of the turn; the bare
 * node:http reference gains the same way, less (docs/BENCHMARKS.md, "Answers at the end of the
 * turn"). An answer waits at most for the rest of the turn's requests.
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
