import { Injectable } from '@nestjs/common';

/**
 * Running totals of the node's client work, read by /metrics and GET /cluster when asked. Plain
 * numbers, not metric objects, so the heartbeat path pays one increment and nothing else.
 */
@Injectable()
export class ClientStats {
  /** Heartbeats this node answered 200 as leader. */
  heartbeats = 0;
  /** Heartbeats this node answered 200 as a follower (follower_heartbeats). */
  followerHeartbeats = 0;
  registrations = 0;
  /** Leader: heartbeats each follower passed on that this node held, since it started. */
  readonly forwardedBy = new Map<string, number>();

  countForwarded(follower: string, beats: number): void {
    this.forwardedBy.set(follower, (this.forwardedBy.get(follower) ?? 0) + beats);
  }
}
