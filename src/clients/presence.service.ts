import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CLOCK, type Clock } from '../common/clock';
import { IsoTimes } from '../common/iso-times';
import { startNamedInterval, stopNamedInterval } from '../common/named-interval';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';

export interface OnlineClient {
  username: string;
  addr: string;
  /** Monotonic time of the last heartbeat. */
  lastSeen: number;
}

export interface OnlineClientView {
  username: string;
  addr: string;
  /** Wall-clock ISO time of the last heartbeat. */
  last_seen: string;
  last_seen_ms_ago: number;
}

/** A client as it travels between nodes: its age, not a clock reading, so skew does not matter. */
export type PresenceRecord = [username: string, addr: string, ageMs: number];

/** A client came online or moved (`online`), or its heartbeats stopped (`offline`). */
export type PresenceEvent =
  { kind: 'online'; username: string; addr: string } | { kind: 'offline'; username: string };

export interface PresenceChanges {
  online: PresenceRecord[];
  offline: string[];
}

const EXPIRY_JOB = 'presence-expiry';

/**
 * Who is online: clients heard from within `client_timeout_ms`. Volatile by design.
 *
 * The map is kept in last-heartbeat order (a heartbeat moves its entry to the end), and the
 * timeout is the same for everyone, so the entries due to expire are always a prefix: an expiry
 * pass walks only those and stops at the first live one. A follower's copy may fall out of that
 * order (a delta can carry an older heartbeat, merged by a new leader); it is put back in order,
 * once, before anything walks it.
 *
 * On the leader the map is the truth; on a follower it is a shadow of the leader's, fed by
 * presence sync, so that a new leader starts from it instead of from nobody.
 */
@Injectable()
export class PresenceService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Presence');
  private readonly online = new Map<string, OnlineClient>();
  private readonly timeoutMs: number;
  /** While followers need them: entries changed and names gone since the last drain. */
  private tracking = false;
  /**
   * Whether time takes clients offline here. Off on a follower, whose copy the leader's deltas
   * expire, so that time without a leader (an election) costs no client its place.
   */
  private expiring = true;
  private readonly changed = new Map<string, OnlineClient>();
  private readonly gone = new Set<string>();
  /** The newest lastSeen in the map: an entry going to the end older than this breaks the order. */
  private tailSeen = -Infinity;
  /** False once an entry went to the end out of last-heartbeat order (see restoreOrder). */
  private ordered = true;
  private readonly listeners: ((event: PresenceEvent) => void)[] = [];
  /**
   * How many times this list has gained: a client or a fresher heartbeat, by any path (its own,
   * a leader's stream, a merged copy), or every timeout pushed back. While the count has not
   * moved since a mark of it, the list holds nothing newer than it held then (expiry and
   * offline changes only remove). See PresenceFollower's handed-over list.
   */
  private gainCount = 0;
  /** Clients this node has timed out since it started (on a follower, in its shadow copy). */
  expirations = 0;

  constructor(
    @Inject(CLUSTER_CONFIG) config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.timeoutMs = config.clientTimeoutMs;
  }

  onModuleInit(): void {
    // Reads expire lazily anyway; the pass only bounds how long a stale entry holds memory.
    const everyMs = Math.min(1000, Math.max(10, Math.floor(this.timeoutMs / 10)));
    startNamedInterval(this.scheduler, EXPIRY_JOB, everyMs, () => this.expireDue());
  }

  onModuleDestroy(): void {
    stopNamedInterval(this.scheduler, EXPIRY_JOB);
  }

  get count(): number {
    this.expireDue();
    return this.online.size;
  }

  /** Called for each client that comes online, moves or goes offline; never for a refresh. */
  onEvent(listener: (event: PresenceEvent) => void): void {
    this.listeners.push(listener);
  }

  /** How many times this list has gained so far (see `gainCount`). */
  get gains(): number {
    return this.gainCount;
  }

  /**
   * Marks the client online at `addr` now. Returns when it was last seen at that addr, or
   * -Infinity when it was not online or was elsewhere: whether followers may already know it.
   */
  heartbeat(username: string, addr: string, now = this.clock.monotonicMs()): number {
    const before = this.online.get(username);
    const seenBefore = before !== undefined && before.addr === addr ? before.lastSeen : -Infinity;
    this.touch(username, addr, now, before);
    return seenBefore;
  }

  /** Removes every client whose last heartbeat is at least the timeout old; returns how many. */
  expireDue(): number {
    this.restoreOrder();
    if (!this.expiring) return 0;
    const now = this.clock.monotonicMs();
    let expired = 0;
    let first = '';
    for (const entry of this.online.values()) {
      if (now - entry.lastSeen < this.timeoutMs) break;
      this.online.delete(entry.username);
      if (this.tracking) {
        this.changed.delete(entry.username);
        this.gone.add(entry.username);
      }
      if (expired++ === 0) first = entry.username;
      this.emit({ kind: 'offline', username: entry.username });
    }
    if (expired > 0) {
      this.expirations += expired;
      const who = expired === 1 ? `'${first}'` : `${expired} clients ('${first}' and others)`;
      this.logger.debug(`${who} went offline: no heartbeat for ${this.timeoutMs} ms`);
    }
    return expired;
  }

  list(): OnlineClientView[] {
    // Made first: it expires who is due before the list is read.
    const viewOf = this.viewMaker();
    return [...this.online.values()].map(viewOf);
  }

  /**
   * `list()` as JSON, for /discover. Nothing is cached per client: a cached string or date per
   * entry costs more memory than the entry itself (bench/memory.ts). The views live only while
   * a part of VIEWS_PER_PART is written, and JSON.stringify of them is 1.5-2x as fast as
   * building the text by hand (docs/BENCHMARKS.md).
   */
  listJson(): { json: string; count: number } {
    const viewOf = this.viewMaker();
    const parts: string[] = [];
    let views: OnlineClientView[] = [];
    let count = 0;
    for (const c of this.online.values()) {
      views.push(viewOf(c));
      count++;
      if (views.length === VIEWS_PER_PART) {
        parts.push(elementsJson(views));
        views = [];
      }
    }
    if (views.length > 0) parts.push(elementsJson(views));
    return { json: `[${parts.join(',')}]`, count };
  }

  // ---- presence sync: the leader's side ------------------------------------------------------

  /** Starts or stops taking clients offline by time (see `expiring`). */
  setExpiring(on: boolean): void {
    this.expiring = on;
  }

  /** Starts or stops recording changes for followers; starting forgets what came before. */
  trackChanges(on: boolean): void {
    this.tracking = on;
    this.changed.clear();
    this.gone.clear();
  }

  /** What changed since the last call, oldest heartbeat first. */
  drainChanges(): PresenceChanges {
    this.expireDue();
    const now = this.clock.monotonicMs();
    const online = [...this.changed.values()]
      .sort((a, b) => a.lastSeen - b.lastSeen)
      .map((c) => record(c, now));
    const offline = [...this.gone];
    this.changed.clear();
    this.gone.clear();
    return { online, offline };
  }

  /** Everyone online now, oldest heartbeat first. */
  snapshot(): PresenceRecord[] {
    this.expireDue();
    const now = this.clock.monotonicMs();
    return [...this.online.values()].map((c) => record(c, now));
  }

  // ---- presence sync: a follower's side ------------------------------------------------------

  /** Replaces the shadow with the leader's full list. */
  replaceAll(records: PresenceRecord[]): void {
    const before = new Map([...this.online.values()].map((c) => [c.username, c.addr]));
    this.online.clear();
    this.tailSeen = -Infinity;
    this.ordered = true;
    // Listeners hear what changed, not the whole list again.
    const listeners = this.listeners.splice(0);
    try {
      this.apply({ online: records, offline: [] });
    } finally {
      this.listeners.push(...listeners);
    }
    for (const [username, addr] of before) {
      if (!this.online.has(username)) this.emit({ kind: 'offline', username });
      else if (this.online.get(username)?.addr !== addr) {
        this.emit({ kind: 'online', username, addr: this.online.get(username)!.addr });
      }
    }
    for (const c of this.online.values()) {
      if (!before.has(c.username))
        this.emit({ kind: 'online', username: c.username, addr: c.addr });
    }
  }

  /** Applies the leader's changes to the shadow. */
  apply(changes: PresenceChanges): void {
    const now = this.clock.monotonicMs();
    for (const name of changes.offline) {
      if (this.online.delete(name)) this.emit({ kind: 'offline', username: name });
    }
    for (const [username, addr, ageMs] of changes.online)
      this.touch(username, addr, now - ageMs, this.online.get(username));
  }

  // ---- presence sync: a new leader's side ----------------------------------------------------

  /**
   * Folds a follower's copy into this one, keeping for each client the fresher heartbeat, so a
   * new leader knows everyone any reachable node knew: also when its own copy is empty (it has
   * just restarted) or stale (it was cut off). Returns how many clients it did not know of; a
   * fresher heartbeat of one it knew is taken silently (ages cross the network without the
   * transit time, so a copy often reads a few ms fresher: that is noise, not news).
   */
  merge(records: PresenceRecord[]): number {
    const now = this.clock.monotonicMs();
    let fresher = 0;
    let added = 0;
    for (const [username, addr, ageMs] of records) {
      const seenAt = now - ageMs;
      if (ageMs >= this.timeoutMs) continue;
      const mine = this.online.get(username);
      if (mine && mine.lastSeen >= seenAt) continue;
      fresher++;
      if (!mine) added++;
      if (!mine || mine.addr !== addr) this.emit({ kind: 'online', username, addr });
      const entry = mine ?? { username, addr, lastSeen: seenAt };
      entry.addr = addr;
      entry.lastSeen = seenAt;
      this.online.set(username, entry);
      this.noteOnline(entry);
    }
    this.gainCount += fresher;
    // Merged heartbeats belong anywhere in last-heartbeat order, not at the end.
    if (fresher > 0) this.ordered = false;
    return added;
  }

  /**
   * A new leader's clients could not reach anyone while the election ran: their timeouts are
   * pushed back by that gap (never past now), so nobody is expired for the election's sake.
   */
  extendBy(gapMs: number): void {
    if (gapMs <= 0) return;
    // Every client is younger now: a gain, like a fresher heartbeat.
    this.gainCount++;
    const now = this.clock.monotonicMs();
    // A uniform shift, capped at now, keeps the map in last-heartbeat order.
    for (const c of this.online.values()) {
      c.lastSeen = Math.min(now, c.lastSeen + gapMs);
    }
    this.tailSeen = Math.min(now, this.tailSeen + gapMs);
  }

  private emit(event: PresenceEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /**
   * Expires who is due, then gives the view of a client as of now: one reading of the clocks
   * and one IsoTimes for a whole list.
   */
  private viewMaker(): (c: OnlineClient) => OnlineClientView {
    this.expireDue();
    const now = this.clock.monotonicMs();
    const wall = this.clock.wallMs();
    const times = new IsoTimes();
    return (c) => {
      const age = Math.max(0, Math.round(now - c.lastSeen));
      return {
        username: c.username,
        addr: c.addr,
        last_seen: times.format(wall - age),
        last_seen_ms_ago: age,
      };
    };
  }

  /**
   * Puts the map back in last-heartbeat order after entries went to its end out of order, so
   * that expiry can stop at the first live entry and the newest are last.
   */
  private restoreOrder(): void {
    if (this.ordered) return;
    const sorted = [...this.online.values()].sort((a, b) => a.lastSeen - b.lastSeen);
    this.online.clear();
    for (const c of sorted) this.online.set(c.username, c);
    this.tailSeen = sorted.length > 0 ? sorted[sorted.length - 1].lastSeen : -Infinity;
    this.ordered = true;
  }

  /** `entry`: the client's entry in the online list, which every caller has just looked up. */
  private touch(
    username: string,
    addr: string,
    lastSeen: number,
    entry: OnlineClient | undefined,
  ): void {
    this.gainCount++;
    // Its age is kept exact: rounding it up to keep the order would make a client that a delta
    // carries late (a new leader's merge) look freshly heard, over and over.
    if (lastSeen >= this.tailSeen) this.tailSeen = lastSeen;
    else this.ordered = false;
    const moved = entry ?? { username, addr, lastSeen };
    if (!entry || entry.addr !== addr) this.emit({ kind: 'online', username, addr });
    if (entry) {
      this.online.delete(username);
      entry.addr = addr;
      entry.lastSeen = lastSeen;
    }
    this.online.set(username, moved);
    this.noteOnline(moved);
  }

  /** On a leader, what followers must hear with the next delta. */
  private noteOnline(entry: OnlineClient): void {
    if (!this.tracking) return;
    this.changed.set(entry.username, entry);
    if (this.gone.size > 0) this.gone.delete(entry.username);
  }
}

/**
 * How many views /discover's JSON is written from at a time (see listJson). Enough that each
 * part (85 bytes a client at the least) is over V8's 128 KiB limit for ordinary heap objects:
 * a larger string gets pages of its own, given back to the system when it dies. Smaller parts
 * were copied into the old generation while the list was written, and a process that had
 * written one of a million clients kept about 70 MB more (bench:memory, presence-after-discover).
 */
export const VIEWS_PER_PART = 4000;

/** The JSON of `views` without the array's brackets: one part of a longer array. */
function elementsJson(views: OnlineClientView[]): string {
  const json = JSON.stringify(views);
  return json.slice(1, -1);
}

function record(c: OnlineClient, now: number): PresenceRecord {
  return [c.username, c.addr, Math.max(0, Math.round(now - c.lastSeen))];
}
