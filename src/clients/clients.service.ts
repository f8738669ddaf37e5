import { Inject, Injectable } from '@nestjs/common';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeaderElsewhereError, LeaseNotHeldError } from '../common/http/leadership-errors';
import { LeadershipState } from '../election/leadership-state';
import { ClientTokenError, OnlineListPartialError, UnknownUserError } from './client-errors';
import { ClientStats } from './client-stats';
import { bearerToken, clientTokenMatches } from './client-token';
import type { HeartbeatVia } from './heartbeat-admission';
import { HeartbeatForwarder } from './heartbeat-forwarder';
import { PresenceReplicator } from './presence-replicator';
import { PresenceService } from './presence.service';
import { RegistryService } from './registry.service';

/** The leader's client roll: registration, heartbeats and discovery, in the seed's shapes. */
@Injectable()
export class ClientsService {
  constructor(
    private readonly registry: RegistryService,
    private readonly presence: PresenceService,
    private readonly leadership: LeadershipState,
    private readonly stats: ClientStats,
    @Inject(CLUSTER_CONFIG) config: ClusterConfig,
    private readonly replicator?: PresenceReplicator,
    private readonly forwarder?: HeartbeatForwarder,
  ) {
    this.requireToken = config.requireClientToken;
  }

  private readonly requireToken: boolean;

  async register(username: string, addr: string) {
    const { user, token } = await this.registry.register(username, addr);
    // The guard looked before the fsync; leadership may have moved on while it ran, and a
    // successor may already be serving. Only a node that still leads may say 200.
    if (!this.leadership.canServeAsLeader()) throw new LeaseNotHeldError();
    this.stats.registrations++;
    return {
      success: true as const,
      message: `User '${username}' registered successfully at ${addr}`,
      user_id: user.user_id,
      token,
    };
  }

  /**
   * `authorization` is the raw header; see docs/api.md, "Client tokens", for when one is needed.
   * `via`: the role HeartbeatAdmission let the heartbeat in under.
   */
  heartbeat(
    username: string,
    addr: string | undefined,
    authorization?: string,
    via: HeartbeatVia = 'leader',
  ) {
    const user = this.registry.find(username);
    if (!user) throw via === 'follower' ? this.notKnownHere() : new UnknownUserError(username);
    this.checkToken(username, addr !== undefined && addr !== user.addr, authorization);
    // A different addr means the client moved: presence follows it, the registration stays.
    const at = addr ?? user.addr;
    const answer = {
      success: true as const,
      message: `Heartbeat accepted for '${username}' at ${at}`,
    };
    if (via === 'follower') return this.passOn(username, at, answer);
    const seenBefore = this.presence.heartbeat(username, at);
    const held = this.replicator?.confirmation(seenBefore);
    if (!held) {
      this.stats.heartbeats++;
      return answer;
    }
    // New to the followers: answered once a majority holds it, so no next leader can miss it.
    const term = this.leadership.current.term;
    return held.then(() => {
      this.assertStillLeading(term);
      this.stats.heartbeats++;
      return answer;
    });
  }

  /** A follower's heartbeat: answered once the leader holds it (HeartbeatForwarder). */
  private async passOn<A>(username: string, at: string, answer: A): Promise<A> {
    if (!this.forwarder) throw new LeaseNotHeldError();
    await this.forwarder.forward(username, at);
    this.stats.followerHeartbeats++;
    return answer;
  }

  /**
   * A follower may not have applied a registration the leader already answered: only the
   * leader may say a name is unknown, so the client is sent there (the seed's 403).
   */
  private notKnownHere(): LeaderElsewhereError {
    const { leader, leaderApi } = this.leadership.current;
    return new LeaderElsewhereError(leader ?? '', leaderApi);
  }

  /** Leadership may have moved on during a wait; only a node that still leads may say 200. */
  private assertStillLeading(term: number): void {
    if (!this.leadership.canServeAsLeader() || this.leadership.current.term !== term) {
      throw new LeaseNotHeldError();
    }
  }

  private checkToken(username: string, moving: boolean, authorization: string | undefined): void {
    const token = bearerToken(authorization);
    if (token === null) {
      throw new ClientTokenError('Authorization must be "Bearer <token from /register>"');
    }
    if (token !== undefined) {
      const hash = this.registry.tokenHash(username);
      if (hash === undefined || !clientTokenMatches(token, hash)) {
        throw new ClientTokenError(`The token is not '${username}'s`);
      }
      return;
    }
    if (this.requireToken) {
      throw new ClientTokenError(
        'Every heartbeat must carry the token from /register (Authorization: Bearer <token>)',
      );
    }
    // A user registered before tokens existed has none to show, and moves as before.
    // The common heartbeat (no token, same place) looks nothing up.
    if (moving && this.registry.tokenHash(username) !== undefined) {
      throw new ClientTokenError(
        `Moving '${username}' to a different addr needs its token (Authorization: Bearer <token>)`,
      );
    }
  }

  users() {
    const users = this.registry.all();
    return { users, count: users.length };
  }

  /**
   * `{online_clients, count, is_leader}`, serialized here: see PresenceService.listJson.
   * A leader still gathering its followers' copies answers once they are in; one whose list may
   * lack clients (no majority's copies came in) answers 503 until it is whole.
   */
  discover(): string | Promise<string> {
    const gathering = this.replicator?.gathering;
    if (!gathering) return this.discoverWhole();
    const term = this.leadership.current.term;
    return gathering.then(() => {
      this.assertStillLeading(term);
      return this.discoverWhole();
    });
  }

  private discoverWhole(): string {
    const missing = this.replicator?.missingCopies ?? [];
    if (missing.length > 0) throw new OnlineListPartialError(missing);
    return this.discoverNow();
  }

  private discoverNow(): string {
    const { json, count } = this.presence.listJson();
    // A follower answers from its copy only with follower_reads (DiscoverReadGuard).
    const isLeader = this.leadership.current.role === 'leader';
    return `{"online_clients":${json},"count":${count},"is_leader":${isLeader}}`;
  }
}
