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
import {
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { ApiErrors, ApiLeaderOnly } from '../common/http/api-errors';
import { ClientsService } from './clients.service';
import { DiscoverStreamService } from './discover-stream.service';
import { HeartbeatDto } from './dto/heartbeat.dto';
import type { HeartbeatVia } from './heartbeat-admission';
import { AdmittedVia, HeartbeatGuard } from './heartbeat.guard';
import { DiscoverReadGuard, UsersReadGuard } from './follower-read.guard';
import { RegisterDto } from './dto/register.dto';
import {
  DiscoverResponseDto,
  HeartbeatResponseDto,
  RegisterResponseDto,
  UsersResponseDto,
} from './dto/responses.dto';
import { LeaderOnly } from './leader-only';
import { RegisterLimit } from './register-limit';

const FOLLOWER_READS =
  'On the leader; with follower_reads also on a follower whose copy is at most follower_read_max_lag_ms behind the leader (is_leader false on /discover), else 403 naming the leader.';
const LAG_HEADER_DOC = {
  'Rollcall-Lag-Ms': {
    description: 'On a follower-served answer only: how far behind the leader its copy is, in ms',
    schema: { type: 'integer' },
  },
};

/**
 * The client routes. Each names its guard: LeaderGuard (@LeaderOnly()) where only the leader
 * answers; HeartbeatGuard on /heartbeat, which a follower also takes with follower_heartbeats;
 * DiscoverReadGuard and UsersReadGuard on /discover and /users, which a follower also answers
 * with follower_reads.
 */
@Controller()
@ApiTags('clients (leader only)')
@ApiLeaderOnly(
  ' On /register also when leadership moved before the entry was applied (retry; a 409 then means it did commit), while the Drive folder is still being imported, or while the data directory is full or unwritable. On /heartbeat also when leadership moved before a majority of nodes held the heartbeat (retry), and, with follower_heartbeats, on a follower that cannot reach the leader (LeaderOutOfReachError).',
)
export class ClientsController {
  constructor(
    private readonly clients: ClientsService,
    private readonly stream: DiscoverStreamService,
  ) {}

  @Post('register')
  @LeaderOnly()
  @RegisterLimit()
  @ApiOperation({ summary: 'Register a client once; answered once a majority has it on disk' })
  @ApiBody({ type: RegisterDto })
  @ApiOkResponse({ type: RegisterResponseDto })
  @ApiErrors(400, 409, 413, 415, 429)
  @HttpCode(200)
  register(@Body() body: RegisterDto) {
    return this.clients.register(body.username, body.addr);
  }

  @Post('heartbeat')
  @UseGuards(HeartbeatGuard)
  @ApiOperation({
    summary: 'Mark a registered client online for client_timeout_ms',
    description:
      'On the leader; with follower_heartbeats also on a follower, which answers 200 once the leader holds the heartbeat (header Rollcall-Via names the follower), and 403 naming the leader for a name it has not applied yet.',
  })
  @ApiBody({ type: HeartbeatDto })
  @ApiOkResponse({ type: HeartbeatResponseDto })
  @ApiHeader({
    name: 'Authorization',
    required: false,
    description:
      'Bearer <token from /register>: needed to move to another addr, or always with require_client_token',
  })
  @ApiErrors(400, 401, 404, 413, 415)
  @HttpCode(200)
  heartbeat(
    @Body() body: HeartbeatDto,
    @AdmittedVia() via: HeartbeatVia,
    @Headers('authorization') authorization?: string,
  ) {
    return this.clients.heartbeat(body.username, body.addr, authorization, via);
  }

  @Get('users')
  @UseGuards(UsersReadGuard)
  @ApiOperation({ summary: 'Everyone registered', description: FOLLOWER_READS })
  @ApiOkResponse({ type: UsersResponseDto, headers: LAG_HEADER_DOC })
  users() {
    return this.clients.users();
  }

  @Get('discover')
  @UseGuards(DiscoverReadGuard)
  @ApiOperation({ summary: 'Who is online now', description: FOLLOWER_READS })
  @ApiOkResponse({ type: DiscoverResponseDto, headers: LAG_HEADER_DOC })
  // The body comes serialized; without this, a string would go out as text/html or text/plain.
  @Header('Content-Type', 'application/json; charset=utf-8')
  discover() {
    return this.clients.discover();
  }

  /** Server-Sent Events: a snapshot, then online/offline changes (DiscoverStreamService). */
  @Sse('discover/stream')
  @LeaderOnly()
  @ApiOperation({ summary: 'Who is online, then every change, as Server-Sent Events' })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Resume after this event id (same leader and term); otherwise a fresh snapshot',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'event: snapshot (data {clients}), then online (data {username, addr}) and offline (data {username}), each with an increasing id "<term>-<n>"; a comment line every 15 s',
    schema: { type: 'string' },
  })
  discoverStream(@Headers('last-event-id') lastEventId?: string): Observable<MessageEvent> {
    return this.stream.open(lastEventId);
  }
}
