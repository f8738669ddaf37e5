import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { HeartbeatEndpoint } from '../clients/heartbeat-endpoint';

const HEARTBEAT_URL = '/heartbeat';

/**
 * Serves `POST /heartbeat` from a preHandler hook on its own Fastify route, so that the request
 * never enters Nest's router (guards, pipes, filters and their promise chains): see
 * HeartbeatEndpoint for why and for what it keeps. Fastify has parsed the body and run its
 * hooks by then, and still runs onResponse (the metrics) after; Nest's handler for the route
 * stays registered, and is what answers on Express. Must run before the routes are registered
 * (before `app.init()`), on an app that has ClientsModule.
 */
export function serveHeartbeatsDirectly(app: INestApplication): void {
  const endpoint = app.get(HeartbeatEndpoint, { strict: false });
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  const answer = async (req: FastifyRequest, reply: FastifyReply) => {
    const out = await endpoint.answer(req.body, req.headers.authorization);
    reply.code(out.status);
    for (const [name, value] of out.headers) reply.header(name, value);
    return reply.send(out.body);
  };
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (route.url !== HEARTBEAT_URL || route.method !== 'POST') return;
    const earlier = route.preHandler ?? [];
    route.preHandler = [...(Array.isArray(earlier) ? earlier : [earlier]), answer];
  });
}
