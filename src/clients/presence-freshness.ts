/** Acknowledgements whose send time a follower keeps: the leader echoes a recent one. */
const REMEMBERED_ACKS = 1024;

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
 * the two clocks over `ackAgoMs` are compared. Receipt time would not do: a follower stopped
 * for seconds (SIGSTOP, a VM pause) reads the frames that waited in its socket as new.
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
    return at + echo.ackAgoMs;
  }
}
