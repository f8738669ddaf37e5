import type { ClusterEvent } from './cluster-event';

const NAMES_SHOWN = 3;

/**
 * Presence changes of one kind that arrive close together, told as one line: an expiry pass
 * that drops 100k clients adds one line, not 100k, and cannot push elections out of the feed.
 * The line is the ring's own object, so counting more into it updates the feed in place.
 */
export class PresenceBatch {
  private readonly names: string[] = [];

  constructor(
    readonly event: ClusterEvent,
    readonly openedAt: number,
    private readonly verb: string,
  ) {}

  add(username: string): void {
    this.event.count++;
    if (this.names.length < NAMES_SHOWN) this.names.push(`'${username}'`);
    this.event.message = this.describe();
  }

  private describe(): string {
    const n = this.event.count;
    if (n === 1) return `${this.names[0]} ${this.verb}`;
    const more = n > this.names.length ? ', …' : '';
    return `${n} clients ${this.verb} (${this.names.join(', ')}${more})`;
  }
}
