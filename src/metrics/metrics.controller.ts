import { Controller, Get, Header } from '@nestjs/common';
import { Registry } from 'prom-client';
import { MetricsService } from './metrics.service';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  // A string body would otherwise go out as text/html.
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  get(): Promise<string> {
    return this.metrics.scrape();
  }
}
