import type { MessageEvent } from '@nestjs/common';
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { interval, map, Observable } from 'rxjs';
import { LeadershipState } from '../election/leadership-state';
import { type PresenceEvent, PresenceService } from './presence.service';

/** How often an idle stream gets a comment line; a provider so that tests can shorten it. */
export const DISCOVER_STREAM_KEEPALIVE_MS = Symbol('DISCOVER_STREAM_KEEPALIVE_MS');
/** How many recent events a reconnecting client can resume from. */
export const DISCOVER_STREAM_BUFFER = Symbol('DISCOVER_STREAM_BUFFER');

interface Numbered {
  seq: number;
  event: PresenceEvent;
}

/**
 * `GET /discover/stream`: who is online, then every change, as Server-Sent Events.
 *
 * Event ids are `<term>-<seq>`. Raft has at most one leader per term, so a term names one
 * leader's history; seq counts that leader's changes. A client resuming with an id of this term
 * whose successor is still in the ring buffer gets exactly the events it missed; any other id
 * (another term, too old, garbage) gets a fresh snapshot, which is always correct.
 */
@Injectable()
export class DiscoverStreamService implements OnModuleDestroy {
  private term = -1;
  private seq = 0;
  private readonly ring: Numbered[] = [];
  private readonly subscribers = new Set<{
    next: (m: MessageEvent) => void;
    complete: () => void;
  }>();

  constructor(
    private readonly presence: PresenceService,
    private readonly leadership: LeadershipState,
    @Optional() @Inject(DISCOVER_STREAM_KEEPALIVE_MS) private readonly keepAliveMs = 15_000,
    @Optional() @Inject(DISCOVER_STREAM_BUFFER) private readonly capacity = 1024,
  ) {
    presence.onEvent((event) => this.record(event));
    leadership.onChange((view) => {
      // A stream is one leader's history: when this node stops leading it ends, and the SDK
      // reconnects to whoever leads now.
      if (view.role !== 'leader' || view.term !== this.term) this.endAll();
    });
  }

  onModuleDestroy(): void {
    // Open streams would otherwise hold the HTTP server's close (and a SIGTERM) open.
    this.endAll();
  }

  /** The stream for one client; `lastEventId` is its Last-Event-ID header, if any. */
  open(lastEventId: string | undefined): Observable<MessageEvent> {
    const events = new Observable<MessageEvent>((subscriber) => {
      // The guard let the request in, but leadership may have moved on before it got here.
      if (this.leadership.current.role !== 'leader') return subscriber.complete();
      this.startTermIfNew();
      // All synchronous: no presence event can fall between the replay and the subscription.
      for (const message of this.replayOrSnapshot(lastEventId)) subscriber.next(message);
      const sink = {
        next: (m: MessageEvent) => subscriber.next(m),
        complete: () => subscriber.complete(),
      };
      this.subscribers.add(sink);
      return () => this.subscribers.delete(sink);
    });
    const keepAlive = interval(this.keepAliveMs).pipe(
      map((): MessageEvent => ({ comment: 'keep-alive' })),
    );
    return new Observable<MessageEvent>((subscriber) => {
      const ka = keepAlive.subscribe(subscriber);
      const ev = events.subscribe({
        next: (m) => subscriber.next(m),
        complete: () => subscriber.complete(),
        error: (e: unknown) => subscriber.error(e),
      });
      return () => {
        ka.unsubscribe();
        ev.unsubscribe();
      };
    });
  }

  /** How many streams are open (for tests and health). */
  get openStreams(): number {
    return this.subscribers.size;
  }

  private replayOrSnapshot(lastEventId: string | undefined): MessageEvent[] {
    const from = parseId(lastEventId);
    if (from && from.term === this.term && from.seq <= this.seq) {
      const oldest = this.ring.length > 0 ? this.ring[0].seq : this.seq + 1;
      // Resumable when every event after `from` is still held.
      if (from.seq + 1 >= oldest) {
        return this.ring.filter((n) => n.seq > from.seq).map((n) => this.message(n));
      }
    }
    return [this.snapshot()];
  }

  private snapshot(): MessageEvent {
    // list() expires due clients first, and their offline events are numbered before this id.
    const online = this.presence.list().map(({ username, addr }) => ({ username, addr }));
    return {
      type: 'snapshot',
      id: `${this.term}-${this.seq}`,
      data: { online_clients: online, count: online.length, term: this.term },
    };
  }

  private record(event: PresenceEvent): void {
    const view = this.leadership.current;
    // A follower's presence is a shadow of the leader's; its changes are not this node's to tell.
    if (view.role !== 'leader') return;
    this.startTermIfNew();
    const numbered = { seq: ++this.seq, event };
    this.ring.push(numbered);
    if (this.ring.length > this.capacity) this.ring.shift();
    const message = this.message(numbered);
    for (const s of this.subscribers) s.next(message);
  }

  private startTermIfNew(): void {
    const term = this.leadership.current.term;
    if (term === this.term) return;
    this.term = term;
    this.seq = 0;
    this.ring.length = 0;
  }

  private message({ seq, event }: Numbered): MessageEvent {
    const data =
      event.kind === 'online'
        ? { username: event.username, addr: event.addr }
        : { username: event.username };
    return { type: event.kind, id: `${this.term}-${seq}`, data };
  }

  private endAll(): void {
    for (const s of [...this.subscribers]) s.complete();
    this.subscribers.clear();
  }
}

function parseId(id: string | undefined): { term: number; seq: number } | null {
  const m = id ? /^(\d+)-(\d+)$/.exec(id.trim()) : null;
  return m ? { term: Number(m[1]), seq: Number(m[2]) } : null;
}
