import type { DynamicModule, INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MAX_BODY_BYTES } from '../common/http/error-response';
import { parseJsonBody } from './json-body';

/** Nest on Fastify: the default, about four times Express's heartbeat rate (see README). */
export async function createFastifyApp(
  module: DynamicModule,
  options: NestApplicationOptions,
): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    // Express routes /Users and /users/ to /users; clients written against it keep working.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    // While closing, Fastify would answer with its own 503 body; Nest answers instead, so the
    // client gets the usual JSON with Retry-After (the node has stopped serving as leader by
    // then), and Fastify still adds Connection: close, so connections drain all the same.
    return503OnClosing: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    ...options,
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Fastify's own parsers would refuse form content types and scalars; one parser takes all.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      const { headers } = req;
      done(
        null,
        parseJsonBody(body as Buffer, headers['content-type'], headers['content-encoding']),
      );
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  return app;
}
