import { LeaseNotHeldError } from '../common/http/leadership-errors';

interface Waiting<R> {
  term: number;
  resolve: (result: R) => void;
  reject: (err: Error) => void;
}

/** The entries this leader proposed, by log index, each waiting to be applied here. */
export class PendingProposals<R> {
  private readonly waiting = new Map<number, Waiting<R>>();

  /** Settles once the entry at `at.index` is applied, or this node can no longer tell. */
  add(at: { index: number; term: number }): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.set(at.index, { term: at.term, resolve, reject });
    });
  }

  /** The entry at `index`, of `term`, was applied with `result`. */
  applied(index: number, term: number, result: R): void {
    const waiting = this.waiting.get(index);
    if (!waiting) return;
    this.waiting.delete(index);
    // Another leader's entry took this index: ours was never committed.
    if (waiting.term === term) waiting.resolve(result);
    else waiting.reject(new LeaseNotHeldError());
  }

  /** Proposals this node can no longer see through; each may or may not commit elsewhere. */
  failAll(): void {
    for (const p of this.waiting.values()) p.reject(new LeaseNotHeldError());
    this.waiting.clear();
  }
}
