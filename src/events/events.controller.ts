import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EventsDto } from './events.dto';
import { EventsService } from './events.service';

/** Any node answers with its own feed: a follower's is as good as the leader's for elections. */
@Controller('cluster')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get('events')
  @ApiTags('cluster (any node)')
  @ApiOperation({ summary: "This node's recent elections, transfers and presence changes" })
  @ApiOkResponse({ type: EventsDto })
  list() {
    const events = this.events.recent();
    return { events, count: events.length };
  }
}
