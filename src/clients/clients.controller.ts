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
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { ApiErrors, ApiLeaderOnly } from '../common/http/api-errors';
import { ClientsService } from './clients.service';
import { DiscoverStreamService } from './discover-stream.service';
import { HeartbeatDto } from './dto/heartbeat.dto';
import { RegisterDto } from './dto/register.dto';
import {
  DiscoverResponseDto,
  HeartbeatResponseDto,
  RegisterResponseDto,
  UsersResponseDto,
} from './dto/responses.dto';
import { LeaderGuard } from './leader.guard';

@Controller()
@UseGuards(LeaderGuard)
@ApiTags('clients (leader only)')
@ApiLeaderOnly(
  ' On /register also when leadership moved before the entry was applied (retry; a 409 then means it did commit), or while the Drive folder is still being imported.',
)
export class ClientsController {
  constructor(
    private readonly clients: ClientsService,
    private readonly stream: DiscoverStreamService,
  ) {}

  @Post('register')
  @ApiOperation({ summary: 'Register a client once; answered once a majority has it on disk' })
  @ApiBody({ type: RegisterDto })
  @ApiOkResponse({ type: RegisterResponseDto })
  @ApiErrors(400, 409, 413, 415)
  @HttpCode(200)
  register(@Body() body: RegisterDto) {
    return this.clients.register(body.username, body.addr);
  }

  @Post('heartbeat')
  @ApiOperation({ summary: 'Mark a registered client online for client_timeout_ms' })
  @ApiBody({ type: HeartbeatDto })
  @ApiOkResponse({ type: HeartbeatResponseDto })
  @ApiErrors(400, 404, 413, 415)
  @HttpCode(200)
  heartbeat(@Body() body: HeartbeatDto, @Headers('authorization') authorization?: string) {
    return this.clients.heartbeat(body.username, body.addr, authorization);
  }

  @Get('users')
  @ApiOperation({ summary: 'Everyone registered' })
  @ApiOkResponse({ type: UsersResponseDto })
  users() {
    return this.clients.users();
  }

  @Get('discover')
  @ApiOperation({ summary: 'Who is online now' })
  @ApiOkResponse({ type: DiscoverResponseDto })
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
