import {
  Body,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  Post,
  Sse,
  UseGuards,
} from '@nestjs/common';
import type { MessageEvent } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { ClientsService } from './clients.service';
import { DiscoverStreamService } from './discover-stream.service';
import { HeartbeatDto } from './dto/heartbeat.dto';
import { RegisterDto } from './dto/register.dto';
import { LeaderGuard } from './leader.guard';

@Controller()
@UseGuards(LeaderGuard)
export class ClientsController {
  constructor(
    private readonly clients: ClientsService,
    private readonly stream: DiscoverStreamService,
  ) {}

  @Post('register')
  @HttpCode(200)
  register(@Body() body: RegisterDto) {
    return this.clients.register(body.username, body.addr);
  }

  @Post('heartbeat')
  @HttpCode(200)
  heartbeat(@Body() body: HeartbeatDto, @Headers('authorization') authorization?: string) {
    return this.clients.heartbeat(body.username, body.addr, authorization);
  }

  @Get('users')
  users() {
    return this.clients.users();
  }

  @Get('discover')
  // The body comes serialized; without this, a string would go out as text/html or text/plain.
  @Header('Content-Type', 'application/json; charset=utf-8')
  discover() {
    return this.clients.discover();
  }

  /** Server-Sent Events: a snapshot, then online/offline changes (DiscoverStreamService). */
  @Sse('discover/stream')
  discoverStream(@Headers('last-event-id') lastEventId?: string): Observable<MessageEvent> {
    return this.stream.open(lastEventId);
  }
}
