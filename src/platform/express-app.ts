import type { DynamicModule, INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { MAX_BODY_BYTES } from '../common/http/error-response';
import { answerClientError } from './client-error';
import { HttpMetrics } from '../metrics/http-metrics';
import type { HttpsOptions } from './https-options';

/** Nest on Express 5: kept because the design card names it; about a quarter of Fastify's rate. */
export async function createExpressApp(
  module: DynamicModule,
  options: NestApplicationOptions,
  https: HttpsOptions | null = null,
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), {
    ...options,
    ...(https ? { httpsOptions: https } : {}),
    bodyParser: false,
  });
  app.disable('x-powered-by');
  app.getHttpServer().on('clientError', answerClientError);
  const metrics = app.get(HttpMetrics);
  // First, so body-parser failures are timed too; req.route is set once a route matched.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      metrics.observe(route, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  });
  // Not strict: a scalar such as "alice" is valid JSON, and the validation pipe then says the
  // body must be an object, which is the real problem.
  app.use(express.json({ limit: MAX_BODY_BYTES, type: () => true, strict: false }));
  return app;
}
