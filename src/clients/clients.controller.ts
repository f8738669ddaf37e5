import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
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
  heartbeat(@Body() body: HeartbeatDto) {
    return this.clients.heartbeat(body.username, body.addr);
  }

  @Get('users')
  users() {
    return this.clients.users();
  }

  @Get('discover')
  discover() {
    return this.clients.discover();
  }
}
