/** A heartbeat this node acknowledged, and until when that acknowledgement binds it. */
interface Acknowledgement {
  term: number;
  /** The leader's send time (leader's clock): how the leader names the heartbeat. */
  sentAt: number;
  /** Our clock: electionTimeoutMin after we received it. */
  until: number;
}

/** Heartbeats a leader sent up to the moment it began handing over: they back no lease any more. */
export interface RevokedHeartbeats {
  term: number;
  sentUpTo: number;
}

/**
 * Each acknowledged heartbeat lets its leader hold a lease until electionTimeoutMin after it
 * was sent, on our word that we stay silent until electionTimeoutMin after we received it.
 * When we vote anyway (transfer, lost connection, restart) the winner must wait out that word
 * before holding a lease of its own: remainingMs() is how long.
 */
export class LeasePromises {
  private readonly acks: Acknowledgement[] = [];

  /** @param restartUntil covers acknowledgements given before a restart and forgotten since */
  constructor(private readonly restartUntil: number) {}

  record(term: number, sentAt: number, until: number, now: number): void {
    for (let i = this.acks.length - 1; i >= 0; i--) {
      if (this.acks[i].until <= now) this.acks.splice(i, 1);
    }
    const same = this.acks.find((a) => a.term === term && a.sentAt === sentAt);
    if (same !== undefined) same.until = Math.max(same.until, until);
    else this.acks.push({ term, sentAt, until });
  }

  /**
   * Drops the acknowledgements given in `term`: its leader's process is known to be gone, and a
   * lease dies with the process that held it.
   */
  release(term: number): void {
    for (let i = this.acks.length - 1; i >= 0; i--) {
      if (this.acks[i].term === term) this.acks.splice(i, 1);
    }
  }

  remainingMs(now: number, revoked: RevokedHeartbeats | null): number {
    let until = this.restartUntil;
    for (const a of this.acks) {
      if (revoked !== null && a.term === revoked.term && a.sentAt <= revoked.sentUpTo) continue;
      until = Math.max(until, a.until);
    }
    return Math.max(0, until - now);
  }
}
