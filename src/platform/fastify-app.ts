import type { IncomingHttpHeaders } from 'node:http';
import type { DynamicModule, INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_BODY_BYTES } from '../common/http/error-response';
import { answerClientError } from './client-error';
import { HttpMetrics } from '../metrics/http-metrics';
import type { HttpsOptions } from './https-options';
import { parseJsonBody } from './json-body';
import { serveHeartbeatsDirectly } from './fastify-heartbeat';

/** Nest on Fastify: the default, about four times Express's heartbeat rate (docs/operations.md). */
export async function createFastifyApp(
  module: DynamicModule,
  options: NestApplicationOptions,
  https: HttpsOptions | null = null,
): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
    ...(https ? { https } : {}),
    bodyLimit: MAX_BODY_BYTES,
    // Express routes /Users and /users/ to /users; clients written against it keep working.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    // While closing, Fastify would answer with its own 503 body; Nest answers instead, so the
    // client gets the usual JSON with Retry-After (the node has stopped serving as leader by
    // then), and Fastify still adds Connection: close, so connections drain all the same.
    return503OnClosing: false,
    // A URL Fastify cannot decode (say '/%ZZ') is refused before Nest sees it; the client
    // still gets the one error shape every other refusal has.
    clientErrorHandler: answerClientError,
    frameworkErrors: (error: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      void reply
        .code(400)
        .send({ success: false, message: `Malformed request URL: ${error.message}` });
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    ...options,
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Fastify's own parsers would refuse form content types and scalars; one parser takes all.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    const { headers } = req;
    // A request that announces no body has none, as body-parser sees it, whatever its type.
    if (!announcesBody(headers)) return done(null, undefined);
    try {
      done(
        null,
        parseJsonBody(body as Buffer, headers['content-type'], headers['content-encoding']),
      );
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // Fastify skips parsing a request with no Content-Type and Content-Length: 0, where
  // body-parser reads the announced, empty body as {}.
  fastify.addHook('preValidation', (req, _reply, done) => {
    if (req.body === undefined && announcesBody(req.headers)) req.body = {};
    done();
  });
  // onResponse runs after the reply is sent, off the request's latency; elapsedTime is
  // Fastify's own hrtime from arrival. Unmatched requests have no routeOptions.url.
  const metrics = app.get(HttpMetrics);
  fastify.addHook('onResponse', (req, reply, done) => {
    metrics.observe(req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  serveHeartbeatsDirectly(app);
  return app;
}

function announcesBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || headers['content-length'] !== undefined;
}
