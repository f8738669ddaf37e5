import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { MetricsService } from './metrics.service';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  @ApiTags('cluster (any node)')
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOkResponse({
    schema: { type: 'string' },
    description: 'rollcall_* metrics; see docs/operations.md',
  })
  // A string body would otherwise go out as text/html.
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  get(): Promise<string> {
    return this.metrics.scrape();
  }
}
