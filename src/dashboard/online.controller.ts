import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PresenceService } from '../clients/presence.service';
import { NodeOnlineDto } from './online.dto';

/** Enough for a screen; the count still says how many there are. */
export const ONLINE_SHOWN = 100;

/**
 * Who is online as this node knows it, for the dashboard. Why not the leader's /discover: a page
 * opened on a follower would have to fetch another origin (CORS) and would go blank exactly when
 * it matters, while the leader is gone. A follower keeps a shadow of the leader's list, synced
 * every heartbeat interval, so its own copy is at most that stale and answers during elections.
 */
@Controller('cluster')
export class OnlineController {
  constructor(private readonly presence: PresenceService) {}

  @Get('online')
  @ApiTags('cluster (any node)')
  @ApiOperation({ summary: 'Who is online as this node knows it (a follower: its copy)' })
  @ApiOkResponse({ type: NodeOnlineDto })
  online() {
    const all = this.presence.list();
    return {
      // The most recently heard first: the ones a person watching is most likely to look for.
      online_clients: all.slice(-ONLINE_SHOWN).reverse(),
      count: all.length,
    };
  }
}
