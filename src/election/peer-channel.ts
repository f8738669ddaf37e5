import { Inject, Injectable, Optional } from '@nestjs/common';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import type { MembershipConfig } from './consensus/membership';
import { ELECTION_TRANSPORT, type ElectionTransport } from './election-io';
import { ReplicatedLog } from './replicated-log';
import { type Envelope, joinJsonObjects } from './transport/envelope';

/** The fields of a message as they came off the wire, not yet checked. */
export type PeerFields = Readonly<Record<string, unknown>>;

/** Says why a message's fields fall short of what its type promises, or null when they do not. */
export type PeerFieldCheck = (fields: PeerFields) => string | null;

/** A checked message from a peer: its own fields, who sent it, and in which term. */
export type PeerMessage<T extends object> = Readonly<T> & {
  readonly from: string;
  readonly term: number;
};

/**
 * What a message's body may be: a plain object with none of the envelope's fields, since its
 * JSON is joined to the envelope's as text (see send). An array has a `length` and is refused.
 */
export type PeerBody<T extends object> = T & {
  readonly [K in 'type' | 'from' | 'to' | 'term' | 'cpu' | 'api' | 'length']?: never;
};

interface Route {
  check: PeerFieldCheck;
  handle: (e: Envelope) => void;
}

/**
 * Messages between peers that are not the election's own (presence sync, for one), carried on
 * the election's connections. ElectionLifecycle hands every frame of a registered type here.
 */
@Injectable()
export class PeerChannel {
  private readonly routes = new Map<string, Route>();
  /** `others` for the configuration it was computed from (asked on every heartbeat). */
  private cached: { config: MembershipConfig | null; others: string[] } | null = null;
  /** By type, then peer: the envelope of the last message, as JSON (see send). */
  private readonly envelopes = new Map<string, Map<string, { term: number; json: string }>>();

  constructor(
    @Inject(ELECTION_TRANSPORT) private readonly transport: ElectionTransport,
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Optional() private readonly log?: ReplicatedLog,
  ) {}

  /**
   * Every other voter in force (the log's membership; config.toml's peers before the log is
   * open): presence is held by a majority of the voters, as entries are. Learners get none.
   */
  get others(): string[] {
    const config = this.log?.membership() ?? null;
    if (this.cached?.config !== config) {
      const voters = config?.voters ?? this.config.peers;
      this.cached = { config, others: voters.filter((p) => p !== this.config.thisNode) };
    }
    return this.cached.others;
  }

  /**
   * Routes messages of `type` to `handle`, once `check` found their fields make a T: the check
   * is what stands behind the type the handler is given.
   */
  on<T extends object>(
    type: string,
    check: PeerFieldCheck,
    handle: (message: PeerMessage<T>) => void,
  ): void {
    // A wire decoder's one cast: dispatch() hands over only frames that passed `check`.
    this.routes.set(type, { check, handle: (e) => handle(e as unknown as PeerMessage<T>) });
  }

  handles(type: string): boolean {
    return this.routes.has(type);
  }

  /** Throws on a malformed message, which costs its sender the connection. */
  dispatch(e: Envelope): void {
    const route = this.routes.get(e.type);
    if (!route) throw new Error(`no route for ${e.type}`);
    const problem = route.check(e);
    if (problem) throw new Error(`malformed ${e.type} message: ${problem}`);
    route.handle(e);
  }

  /**
   * Sends if the link is up; like every peer message, it may be lost. The frame is the JSON of
   * `{ ...body, type, from, to, term, cpu: 0 }`, put together as text: a leader sends one of
   * these for every batch a follower passes on, and copying objects to serialize them cost more
   * than the rest of the send.
   */
  send<T extends object>(to: string, type: string, term: number, body: PeerBody<T>): boolean {
    return this.transport.sendJson(to, this.framed(JSON.stringify(body), to, type, term));
  }

  /**
   * Sends `body` to each of `peers`, serialized once, with the fields `extra` gives for that peer
   * (none for null) after its own: a presence delta carries every client heard since the last.
   */
  sendEach<T extends object>(
    peers: readonly string[],
    type: string,
    term: number,
    body: PeerBody<T>,
    extra: (peer: string) => Partial<T> | null,
  ): void {
    const json = JSON.stringify(body);
    for (const to of peers) {
      const more = extra(to);
      const bodyJson = more === null ? json : joinJsonObjects(json, JSON.stringify(more));
      this.transport.sendJson(to, this.framed(bodyJson, to, type, term));
    }
  }

  private framed(bodyJson: string, to: string, type: string, term: number): string {
    return joinJsonObjects(bodyJson, this.envelope(to, type, term));
  }

  /** The envelope's fields as the JSON of an object, kept per type and peer while the term holds. */
  private envelope(to: string, type: string, term: number): string {
    let byPeer = this.envelopes.get(type);
    if (byPeer === undefined) {
      byPeer = new Map<string, { term: number; json: string }>();
      this.envelopes.set(type, byPeer);
    }
    const known = byPeer.get(to);
    if (known?.term === term) return known.json;
    const json = JSON.stringify({ type, from: this.config.thisNode, to, term, cpu: 0 });
    byPeer.set(to, { term, json });
    return json;
  }
}
