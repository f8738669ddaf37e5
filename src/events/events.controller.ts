import { Controller, Get } from '@nestjs/common';
import { EventsService } from './events.service';

/** Any node answers with its own feed: a follower's is as good as the leader's for elections. */
@Controller('cluster')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get('events')
  list() {
    const events = this.events.recent();
    return { events, count: events.length };
  }
}
