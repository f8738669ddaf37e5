import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { App } from 'supertest/types';
import type { Clock } from '../../src/common/clock';
import type { ClusterConfig } from '../../src/config/cluster-config';
import { loadClusterConfig } from '../../src/config/config-loader';
import { createApp } from '../../src/platform/create-app';
import { freePorts } from './free-port';
import { httpAdapterEnv } from './http-adapter';
import { type ClusterFile, writeClusterConfig } from './node-process';
import { waitFor } from './poll';
import { makeTempDir } from './temp-dir';

export interface InProcessNode {
  app: INestApplication;
  http: App;
  port: number;
  config: ClusterConfig;
  close(): Promise<void>;
}

/**
 * A one-node cluster in this process on the e2e project's HTTP platform, listening on
 * 127.0.0.1 as in production (Fastify serves only once it is ready, which listen awaits).
 */
export async function startInProcessNode(
  opts: {
    file?: Omit<ClusterFile, 'peers'>;
    env?: Record<string, string>;
    clock?: Clock;
    /** Wait until it leads (a cluster of one elects itself at its first tick). */
    lead?: boolean;
  } = {},
): Promise<InProcessNode> {
  const tmp = makeTempDir();
  const [electionPort] = await freePorts(1);
  const configPath = writeClusterConfig(tmp.dir, {
    ...opts.file,
    peers: [`127.0.0.1:${electionPort}`],
  });
  const config = loadClusterConfig({
    configPath,
    env: { DATA_DIR: `${tmp.dir}/data`, API_PORT: '3100', ...httpAdapterEnv(), ...opts.env },
  });
  const app = await createApp(config, false, opts.clock);
  await app.listen(0, '127.0.0.1');
  const http = app.getHttpServer() as App;
  const port = (app.getHttpServer() as { address(): AddressInfo }).address().port;
  if (opts.lead ?? true) {
    await waitFor(
      'the node to lead',
      async () => (await request(http).get('/')).body.is_leader === true,
    );
  }
  return {
    app,
    http,
    port,
    config,
    close: async () => {
      await app.close();
      tmp.cleanup();
    },
  };
}
