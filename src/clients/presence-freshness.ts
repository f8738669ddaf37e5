/** Acknowledgements whose send time a follower keeps: the leader echoes a recent one. */
const REMEMBERED_ACKS = 1024;
/**
 * How much faster the leader's clock may run than the follower's, as a share of the time it
 * measured (ackAgoMs): the lease allows as much (core-config.ts, leaseSafetyMargin).
 */
const CLOCK_RATE_MARGIN = 0.15;

/**
 * The leader's echo, on a delta to one follower, of the latest acknowledgement it had from that
 * follower: its seq, and how long before the delta was drained the leader heard it.
 */
export interface AckEcho {
  ackSeq: number;
  ackAgoMs: number;
}

/**
 * Leader: the latest acknowledgement of its stream each follower sent in this term, and when it
 * came (monotonic ms). Every delta to a follower echoes it (see AcksSent).
 */
export class AcksHeard {
  private readonly latest = new Map<string, { seq: number; at: number }>();

  heard(follower: string, seq: number, at: number): void {
    const known = this.latest.get(follower);
    // The first to arrive of a seq: the follower pairs the echo with the first it sent.
    if (known === undefined || seq > known.seq) this.latest.set(follower, { seq, at });
  }

  /** The follower lost its copy (it asked for the full list): nothing to echo till it acks again. */
  forget(follower: string): void {
    this.latest.delete(follower);
  }

  /** A new term's stream. */
  clear(): void {
    this.latest.clear();
  }

  /** The echo for a delta to `follower` drained at `now`, or null before it acknowledged one. */
  echo(follower: string, now: number): AckEcho | null {
    const known = this.latest.get(follower);
    if (known === undefined) return null;
    return { ackSeq: known.seq, ackAgoMs: Math.max(0, Math.floor(now - known.at)) };
  }
}

/**
 * Follower: when it sent each acknowledgement of the current term's stream, so that a delta's
 * echo tells it how new the leader's list the delta brings is, by this node's clock alone.
 *
 * A delta that echoes acknowledgement `seq`, heard `ackAgoMs` before the delta was drained, was
 * drained no earlier than `sentAt(seq) + ackAgoMs` here: the acknowledgement's transit is not
 * counted, so the estimate is never late. No clock reading crosses the wire; only the rates of
 * the two clocks over `ackAgoMs` are compared, with the lease's margin. Receipt time would not
 * do: a follower stopped for seconds (SIGSTOP) reads the frames that waited in its socket as new.
 */
export class AcksSent {
  private term = -1;
  private readonly sentAt = new Map<number, number>();

  sent(term: number, seq: number, at: number): void {
    if (term !== this.term) {
      this.term = term;
      this.sentAt.clear();
    }
    if (this.sentAt.has(seq)) return; // a full list's seq acked again: the first counts
    this.sentAt.set(seq, at);
    if (this.sentAt.size > REMEMBERED_ACKS) this.sentAt.delete(this.sentAt.keys().next().value!);
  }

  /**
   * No earlier than when the leader drained a delta of `term` with `echo`, on this node's clock;
   * null for an acknowledgement this node did not send (before it restarted, or forgotten).
   */
  drainedNoEarlierThan(term: number, echo: AckEcho): number | null {
    if (term !== this.term) return null;
    const at = this.sentAt.get(echo.ackSeq);
    if (at === undefined) return null;
    // Seqs go in ascending: older ones will not be echoed again.
    for (const seq of this.sentAt.keys()) {
      if (seq >= echo.ackSeq) break;
      this.sentAt.delete(seq);
    }
    return at + echo.ackAgoMs * (1 - CLOCK_RATE_MARGIN);
  }
}

/** Dated deltas a follower keeps until its registry has applied as far as their leader had. */
const PENDING_DATES = 1024;

/**
 * Follower: how new its registry (the replicated log, applied) is. A dated delta says its leader
 * had applied the log up to `applied` when it drained the delta, at `at` or later on this node's
 * clock (AcksSent): every registration the leader had answered 200 by then lies at or below
 * that index. Once this node has applied as far, its registry holds them all. Log indexes run
 * across terms, and a leader serves only once its log holds everything committed before it, so
 * the dates stay true after a change of leader.
 */
export class RegistryDates {
  private readonly pending: { applied: number; at: number }[] = [];
  private asOf: number | null = null;

  /** A dated delta brought `applied`, drained no earlier than `at`. */
  note(applied: number, at: number): void {
    this.pending.push({ applied, at });
    if (this.pending.length > PENDING_DATES) this.pending.shift(); // forgets a date: reads wait
  }

  /** Its registry, applied up to `localApplied`, holds every registration answered by this time. */
  asOfWith(localApplied: number): number | null {
    let reached = 0;
    while (reached < this.pending.length && this.pending[reached].applied <= localApplied) {
      this.asOf = Math.max(this.asOf ?? -Infinity, this.pending[reached].at);
      reached++;
    }
    if (reached > 0) this.pending.splice(0, reached);
    return this.asOf;
  }
}
