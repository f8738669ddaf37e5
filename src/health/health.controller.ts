import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthDto } from './health.dto';
import { HealthService } from './health.service';

@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiTags('cluster (any node)')
  @ApiOperation({ summary: "Health, this node's role and the leader it knows" })
  @ApiOkResponse({ type: HealthDto })
  get() {
    return this.health.health();
  }
}
