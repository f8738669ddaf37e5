import type { INestApplication, LoggerService } from '@nestjs/common';
import { AppModule } from '../app.module';
import type { Clock } from '../common/clock';
import type { ClusterConfig } from '../config/cluster-config';
import type { Server } from 'node:http';
import { limitConnections } from './connection-limits';
import { refuseHostlessRequests } from './host-header';
import { setUpApiDocs } from './api-docs';
import { createExpressApp } from './express-app';
import { createFastifyApp } from './fastify-app';

/**
 * The one place that knows the HTTP platform (`HTTP_ADAPTER`). Everything else speaks Nest, and
 * both platforms answer alike: every body is parsed as JSON whatever its Content-Type, because
 * the seed's own client example posts JSON with curl's default form content type.
 */
export async function createApp(
  config: ClusterConfig,
  logger: LoggerService | false,
  clock?: Clock,
): Promise<INestApplication> {
  const module = AppModule.forRoot(config, clock);
  const options = { logger, abortOnError: false };
  const app =
    config.httpAdapter === 'express'
      ? await createExpressApp(module, options)
      : await createFastifyApp(module, options);
  const server = app.getHttpServer() as Server;
  limitConnections(server, {
    maxPerAddress: config.httpMaxConnectionsPerAddress,
    idleTimeoutMs: config.httpIdleTimeoutMs,
  });
  refuseHostlessRequests(server);
  setUpApiDocs(app);
  return app;
}
