import { Body, Controller, Get, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiLeaderOnly } from '../common/http/api-errors';
import { ClientsService } from './clients.service';
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
  constructor(private readonly clients: ClientsService) {}

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
  heartbeat(@Body() body: HeartbeatDto) {
    return this.clients.heartbeat(body.username, body.addr);
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
}
