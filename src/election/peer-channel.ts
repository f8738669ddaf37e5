import { Inject, Injectable } from '@nestjs/common';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { ELECTION_TRANSPORT, type ElectionTransport } from './election-io';
import type { Envelope } from './transport/envelope';

/** Checks a side message's own fields; returns a reason when they fall short. */
export type SideValidator = (e: Envelope) => string | null;

interface Route {
  validate: SideValidator;
  handle: (e: Envelope) => void;
}

/**
 * Messages between peers that are not the election's own (presence sync, for one), carried on
 * the election's connections. ElectionLifecycle hands every frame of a registered type here.
 */
@Injectable()
export class PeerChannel {
  private readonly routes = new Map<string, Route>();

  constructor(
    @Inject(ELECTION_TRANSPORT) private readonly transport: ElectionTransport,
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
  ) {}

  /** Every other member of the cluster. */
  get others(): string[] {
    return this.config.peers.filter((p) => p !== this.config.thisNode);
  }

  on(type: string, validate: SideValidator, handle: (e: Envelope) => void): void {
    this.routes.set(type, { validate, handle });
  }

  handles(type: string): boolean {
    return this.routes.has(type);
  }

  /** Throws on a malformed message, which costs its sender the connection. */
  dispatch(e: Envelope): void {
    const route = this.routes.get(e.type);
    if (!route) throw new Error(`no route for ${e.type}`);
    const problem = route.validate(e);
    if (problem) throw new Error(`malformed ${e.type} message: ${problem}`);
    route.handle(e);
  }

  /** Sends if the link is up; like every peer message, it may be lost. */
  send(to: string, type: string, term: number, body: Record<string, unknown>): boolean {
    const message = { ...body, type, from: this.config.thisNode, to, term, cpu: 0 };
    return this.transport.send(message);
  }
}
