import { type InProcessNode, startInProcessNode } from '../support/in-process-node';
import { type INestApplication, RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import request from 'supertest';
import type { App } from 'supertest/types';

interface Operation {
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}
interface Route {
  method: string;
  path: string;
  leaderOnly: boolean;
}

/** Every route Nest registered, read from the controllers' metadata: the same on any platform. */
function registeredRoutes(app: INestApplication): Route[] {
  const routes: Route[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
      const guards = (Reflect.getMetadata(GUARDS_METADATA, metatype) ?? []) as unknown[];
      const proto = metatype.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (path === undefined || method === undefined) continue;
        const joined = `/${[base, path]
          .map((p) => p.replace(/^\/|\/$/g, ''))
          .filter(Boolean)
          .join('/')
          // OpenAPI writes a path parameter as {name}, Nest as :name.
          .replace(/:(\w+)/g, '{$1}')}`;
        routes.push({
          method: RequestMethod[method].toLowerCase(),
          path: joined,
          leaderOnly: guards.length > 0,
        });
      }
    }
  }
  return routes;
}

describe('OpenAPI document', () => {
  let node: InProcessNode;
  let app: INestApplication;
  let http: App;

  beforeAll(async () => {
    node = await startInProcessNode({ lead: false });
    ({ app, http } = node);
  });

  afterAll(() => node.close());

  it('serves the UI at /docs', async () => {
    const res = await request(http).get('/docs').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('swagger-ui');
  });

  it('covers every registered route, with its request, response and error shapes', async () => {
    const spec = (await request(http).get('/docs-json').expect(200)).body as Spec;
    const routes = registeredRoutes(app);
    // The seed's five routes and ours: a route lost from the scan would hide a gap.
    expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'delete /cluster/members/{node}',
      'get /',
      'get /cluster',
      'get /cluster/events',
      'get /cluster/members',
      'get /cluster/online',
      'get /cluster/snapshot',
      'get /dashboard',
      'get /dashboard/{name}',
      'get /discover',
      'get /discover/stream',
      'get /metrics',
      'get /users',
      'post /cluster/leader/transfer',
      'post /cluster/members',
      'post /cluster/members/{node}/promote',
      'post /heartbeat',
      'post /register',
    ]);
    const documented = Object.entries(spec.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());

    const refOf = (r: { content?: Record<string, { schema: { $ref?: string } }> } | undefined) =>
      r?.content?.['application/json']?.schema.$ref?.replace('#/components/schemas/', '');
    for (const route of routes) {
      const op = spec.paths[route.path][route.method];
      const where = `${route.method} ${route.path}`;
      expect([where, Object.keys(op.responses['200']?.content ?? {}).length > 0]).toEqual([
        where,
        true,
      ]);
      const errors = Object.keys(op.responses).filter((s) => Number(s) >= 400);
      if (route.leaderOnly)
        expect([where, errors]).toEqual([where, expect.arrayContaining(['403', '503'])]);
      if (route.method === 'post') {
        expect([where, errors]).toEqual([where, expect.arrayContaining(['400', '413'])]);
        const body = refOf(op.requestBody);
        expect([where, body && body in spec.components.schemas]).toEqual([where, true]);
      }
      for (const status of errors) {
        expect([where, status, refOf(op.responses[status])]).toEqual([
          where,
          status,
          expect.stringMatching(/^(ErrorResponseDto|LeaderErrorDto)$/),
        ]);
      }
      const ok = refOf(op.responses['200']);
      if (ok) expect(spec.components.schemas[ok]).toBeDefined();
    }
  });

  it("documents every field of GET /cluster's members, the machine and background loads too", async () => {
    const spec = (await request(http).get('/docs-json').expect(200)).body as Spec;
    const member = spec.components.schemas.MemberDto as { properties: Record<string, unknown> };
    const sent = (await request(http).get('/cluster').expect(200)).body as {
      nodes: Record<string, unknown>[];
    };
    expect(sent.nodes.length).toBeGreaterThan(0);
    for (const node of sent.nodes) {
      expect(Object.keys(node).sort()).toEqual(Object.keys(member.properties).sort());
    }
    expect(Object.keys(member.properties)).toEqual(expect.arrayContaining(['cpu', 'background']));
  });
});
