import { Injectable } from '@nestjs/common';
import { LeaseNotHeldError } from '../common/http/leadership-errors';
import { LeadershipState } from '../election/leadership-state';
import { UnknownUserError } from './client-errors';
import { ClientStats } from './client-stats';
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
  ) {}

  async register(username: string, addr: string) {
    const user = await this.registry.register(username, addr);
    // The guard looked before the fsync; leadership may have moved on while it ran, and a
    // successor may already be serving. Only a node that still leads may say 200.
    if (!this.leadership.canServeAsLeader()) throw new LeaseNotHeldError();
    this.stats.registrations++;
    return {
      success: true as const,
      message: `User '${username}' registered successfully at ${addr}`,
      user_id: user.user_id,
    };
  }

  heartbeat(username: string, addr: string | undefined) {
    const user = this.registry.find(username);
    if (!user) throw new UnknownUserError(username);
    // A different addr means the client moved: presence follows it, the registration stays.
    const at = addr ?? user.addr;
    this.presence.heartbeat(username, at);
    this.stats.heartbeats++;
    return { success: true as const, message: `Heartbeat accepted for '${username}' at ${at}` };
  }

  users() {
    const users = this.registry.all();
    return { users, count: users.length };
  }

  /** `{online_clients, count, is_leader: true}`, serialized here: see PresenceService.listJson. */
  discover(): string {
    const { json, count } = this.presence.listJson();
    return `{"online_clients":${json},"count":${count},"is_leader":true}`;
  }
}
