import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { AppModule } from '../app.module';
import type { Clock } from '../common/clock';
import { MAX_BODY_BYTES } from '../common/http/error-response';
import type { ClusterConfig } from '../config/cluster-config';

/**
 * The one place that knows the HTTP platform. Everything else speaks Nest.
 *
 * Bodies are parsed as JSON whatever their Content-Type, because the seed's own client example
 * posts JSON with curl's default form content type.
 */
export async function createApp(
  config: ClusterConfig,
  logger: LoggerService | false,
  clock?: Clock,
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, clock),
    new ExpressAdapter(),
    {
      logger,
      bodyParser: false,
      abortOnError: false,
    },
  );
  app.disable('x-powered-by');
  // Not strict: a scalar such as "alice" is valid JSON, and the validation pipe then says the
  // body must be an object, which is the real problem.
  app.use(express.json({ limit: MAX_BODY_BYTES, type: () => true, strict: false }));
  return app;
}
