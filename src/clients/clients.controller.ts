import { Body, Controller, Get, Header, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ClientsService } from './clients.service';
import { HeartbeatDto } from './dto/heartbeat.dto';
import { RegisterDto } from './dto/register.dto';
import { LeaderGuard } from './leader.guard';

@Controller()
@UseGuards(LeaderGuard)
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

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
}
