import type { INestApplication, LoggerService } from '@nestjs/common';
import { AppModule } from '../app.module';
import type { Clock } from '../common/clock';
import type { ClusterConfig } from '../config/cluster-config';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { loadCredentials } from '../credentials/credentials';
import { httpsOptionsOf } from './https-options';
import { limitConnections } from './connection-limits';
import { refuseHostlessRequests } from './host-header';
import { serveHeartbeatsOnTheServer } from './server-heartbeat';
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
  const credentials = loadCredentials(config);
  const module = AppModule.forRoot(config, clock, credentials);
  const options = { logger, abortOnError: false };
  const https = httpsOptionsOf(credentials.apiTls);
  const app =
    config.httpAdapter === 'express'
      ? await createExpressApp(module, options, https)
      : await createFastifyApp(module, options, https);
  const server = app.getHttpServer() as Server;
  const apiTls = credentials.apiTls;
  // A reload reaches connections made after it; those open keep the certificate they began with.
  if (apiTls) apiTls.onChange(() => (server as HttpsServer).setSecureContext(apiTls.options));
  limitConnections(server, {
    maxPerAddress: config.httpMaxConnectionsPerAddress,
    idleTimeoutMs: config.httpIdleTimeoutMs,
  });
  if (config.httpAdapter !== 'express') serveHeartbeatsOnTheServer(server, app);
  refuseHostlessRequests(server);
  setUpApiDocs(app);
  return app;
}
