import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import type { Envelope } from './transport/envelope';

/**
 * What this node last heard from each peer: its HTTP base URL (so any node can point clients at
 * the leader's API), when it was heard (for GET /cluster), and the AppendEntries round trips
 * the leader measures (for metrics).
 */
@Injectable()
export class PeerDirectory {
  private readonly apis = new Map<string, string>();
  /** Monotonic ms of the last frame of any kind (keepalives too) from each peer. */
  private readonly heardAtMs = new Map<string, number>();
  private readonly rttListeners: ((peer: string, seconds: number) => void)[] = [];

  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /** Every frame from a peer passes here, keepalives included. */
  heard(e: Envelope): void {
    this.apis.set(e.from, e.api);
    this.heardAtMs.set(e.from, this.clock.monotonicMs());
  }

  apiOf(peer: string): string | null {
    return this.apis.get(peer) ?? null;
  }

  heardAt(peer: string): number | null {
    return this.heardAtMs.get(peer) ?? null;
  }

  /** Called with each AppendEntries round trip to a follower while this node leads. */
  onPeerRtt(listener: (peer: string, seconds: number) => void): void {
    this.rttListeners.push(listener);
  }

  /**
   * An AppendEntries answer from `peer` echoes the `sentAt` of the request, which is this node's
   * monotonic clock as the driver fed it to the core, so now minus sentAt is the round trip
   * without the core keeping any new state. It includes the follower's fsync when entries were
   * carried, and our queueing before sending.
   */
  answered(peer: string, sentAt: number): void {
    if (this.rttListeners.length === 0) return;
    const ms = this.clock.monotonicMs() - sentAt;
    if (!(ms >= 0)) return;
    for (const listener of this.rttListeners) listener(peer, ms / 1000);
  }
}
