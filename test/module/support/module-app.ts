import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { App } from 'supertest/types';
import { ClientsModule } from '../../../src/clients/clients.module';
import { JsonErrorFilter } from '../../../src/common/http/json-error.filter';
import { createValidationPipe } from '../../../src/common/http/validation.pipe';
import type { ClusterConfig } from '../../../src/config/cluster-config';
import { loadClusterConfig } from '../../../src/config/config-loader';
import { ClusterConfigModule } from '../../../src/config/config.module';
import { USER_STORE } from '../../../src/drive/drive-sync.service';
import {
  DURABLE_LOG,
  type DurableLog,
  ELECTION_TRANSPORT,
  FATAL_HANDLER,
  type FatalHandler,
  LOAD_SAMPLER,
  HARD_STATE_STORE,
} from '../../../src/election/election-io';
import { LeadershipState } from '../../../src/election/leadership-state';
import type { Envelope } from '../../../src/election/transport/envelope';
import { SystemClock } from '../../../src/common/clock';
import { serveHeartbeatsDirectly } from '../../../src/platform/fastify-heartbeat';
import { type ClusterFile, writeClusterConfig } from '../../support/node-process';
import { waitFor } from '../../support/poll';
import { makeTempDir } from '../../support/temp-dir';
import { idleLoad, MemoryLog, MemoryTransport, MemoryHardStateStore } from './fake-io';

export type Platform = 'fastify' | 'express';
export const PLATFORMS: Platform[] = ['fastify', 'express'];

/** This node and its peers: addresses only, since no socket is ever opened for them. */
export const NODE = '127.0.0.1:7101';
export const PEER = '127.0.0.1:7102';
export const OTHER_PEER = '127.0.0.1:7103';
/** The API address on the frames of PEER, when a test plays it as this node's leader. */
export const LEADER_API = 'http://127.0.0.1:3001';

/** Everything a module test reaches: the app, its HTTP server and the fakes behind the I/O. */
export interface ModuleApp {
  app: INestApplication;
  http: App;
  config: ClusterConfig;
  transport: MemoryTransport;
  /** Why the node would have stopped itself (the FATAL_HANDLER, which would exit). */
  fatal: string[];
  /**
   * Plays PEER as this node's leader: delivers `frame()` (its AppendEntries) every 20 ms, as a
   * leader's heartbeats come, until close(). Resolves once the node follows PEER.
   */
  followPeer(frame: () => Envelope): Promise<void>;
  close(): Promise<void>;
}

/** The globals main.ts provides around every feature module: config, clock, scheduler. */
export function globalsFor(config: ClusterConfig): NonNullable<ModuleMetadata['imports']> {
  return [ClusterConfigModule.forRoot(config, new SystemClock()), ScheduleModule.forRoot()];
}

/** A validated config with the e2e tests' fast timings and the data directory in `dir`. */
export function testConfig(
  dir: string,
  file: Partial<ClusterFile> = {},
  env: Record<string, string> = {},
): ClusterConfig {
  const configPath = writeClusterConfig(dir, { peers: [NODE], ...file });
  return loadClusterConfig({
    configPath,
    env: { DATA_DIR: `${dir}/data`, API_PORT: '3100', ...env },
  });
}

/**
 * Replaces the node's I/O, and only that: the election's network, its two files, the CPU
 * sampler, the process exit, and Drive. Everything else is the module's own wiring.
 */
export function withFakeIo(
  builder: TestingModuleBuilder,
  io: { transport: MemoryTransport; fatal: string[]; log?: DurableLog },
): TestingModuleBuilder {
  return builder
    .overrideProvider(ELECTION_TRANSPORT)
    .useValue(io.transport)
    .overrideProvider(HARD_STATE_STORE)
    .useValue(new MemoryHardStateStore())
    .overrideProvider(DURABLE_LOG)
    .useValue(io.log ?? new MemoryLog())
    .overrideProvider(LOAD_SAMPLER)
    .useValue(idleLoad)
    .overrideProvider(FATAL_HANDLER)
    .useValue(((reason) => io.fatal.push(reason)) satisfies FatalHandler)
    .overrideProvider(USER_STORE)
    .useValue(null);
}

/**
 * Builds `modules` (with the globals, the JSON error filter and the validation pipe, as
 * AppModule has them) on `platform`, with fake I/O, and starts it. No port is opened:
 * supertest talks to the HTTP server directly.
 */
export async function startModuleApp(opts: {
  modules: NonNullable<ModuleMetadata['imports']>;
  platform?: Platform;
  file?: Partial<ClusterFile>;
  /** Environment variables the config is read with (ADMIN_TOKEN, ...). */
  env?: Record<string, string>;
  controllers?: ModuleMetadata['controllers'];
  providers?: ModuleMetadata['providers'];
  /** On Fastify, POST /heartbeat served before Nest's router, as in production (the default). */
  directHeartbeat?: boolean;
  /** The replicated log's storage; a MemoryLog unless a test needs to hold its writes. */
  log?: DurableLog;
}): Promise<ModuleApp> {
  const tmp = makeTempDir('rollcall-module-');
  const config = testConfig(tmp.dir, opts.file, opts.env);
  const transport = new MemoryTransport();
  const fatal: string[] = [];
  const builder = Test.createTestingModule({
    imports: [...globalsFor(config), ...opts.modules],
    controllers: opts.controllers ?? [],
    providers: [
      { provide: APP_FILTER, useClass: JsonErrorFilter },
      { provide: APP_PIPE, useFactory: createValidationPipe },
      ...(opts.providers ?? []),
    ],
  });
  const moduleRef = await withFakeIo(builder, { transport, fatal, log: opts.log }).compile();
  const app =
    (opts.platform ?? 'fastify') === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
          logger: false,
        })
      : moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
  // As createFastifyApp does: POST /heartbeat answered without Nest's router, on Fastify.
  const direct = opts.directHeartbeat ?? true;
  if (opts.platform !== 'express' && direct && opts.modules.includes(ClientsModule)) {
    serveHeartbeatsDirectly(app);
  }
  await app.init();
  if (opts.platform !== 'express') {
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  }
  let leaderBeat: NodeJS.Timeout | undefined;
  return {
    app,
    http: app.getHttpServer() as App,
    config,
    transport,
    fatal,
    followPeer: async (frame) => {
      leaderBeat = setInterval(() => transport.deliver(frame()), 20);
      const leadership = app.get(LeadershipState);
      await waitFor('the node to follow', () => leadership.current.leader === PEER);
    },
    close: async () => {
      clearInterval(leaderBeat);
      await app.close();
      tmp.cleanup();
    },
  };
}
