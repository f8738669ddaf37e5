import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { parseCli, USAGE, UsageError } from './cli';
import { NodeLogger } from './common/logging/node-logger';
import type { ClusterConfig } from './config/cluster-config';
import { ConfigError } from './config/config-error';
import { loadClusterConfig } from './config/config-loader';
import { driveStartupNotice, isDriveConfigured } from './drive/drive-settings';
import { CredentialsError, loadServiceAccount } from './drive/service-account';
import { createApp } from './platform/create-app';
import { probePort } from './platform/port-check';

/** Exit codes: 2 for anything the operator must fix in the command line or config. */
const EXIT_CONFIG = 2;
const EXIT_FAILURE = 1;
const SHUTDOWN_DEADLINE_MS = 2000;

function die(code: number, line: string): never {
  process.stderr.write(`rollcall: ${line}\n`);
  process.exit(code);
}

function readConfig(): ClusterConfig {
  try {
    const args = parseCli(process.argv.slice(2));
    const config = loadClusterConfig({
      configPath: args.configPath,
      thisNode: args.thisNode,
      join: args.join,
      env: process.env,
    });
    // Checked before anything starts: a node that cannot reach Drive would only find out later.
    if (isDriveConfigured(config.drive)) loadServiceAccount(config.drive.credentialsPath);
    return config;
  } catch (err) {
    if (err instanceof UsageError) die(EXIT_CONFIG, `${err.message}\n${USAGE}`);
    if (err instanceof ConfigError) die(EXIT_CONFIG, `config error: ${err.message}`);
    if (err instanceof CredentialsError) {
      die(EXIT_CONFIG, `config error: GOOGLE_CREDENTIALS: ${err.message}`);
    }
    throw err;
  }
}

/** Refuses to start when a port is taken, before anything is bound or opened. */
async function checkPorts(config: ClusterConfig): Promise<void> {
  const election = config.electionBind;
  const apiBusy = await probePort(config.apiHost, config.apiPort);
  if (apiBusy) {
    die(
      EXIT_CONFIG,
      `config error: ${config.configFile}: API_PORT: cannot bind ${config.apiHost}:${config.apiPort} (${apiBusy})`,
    );
  }
  const electionBusy = await probePort(election.host, election.port);
  if (electionBusy) {
    die(
      EXIT_CONFIG,
      `config error: ${config.configFile}: this_node: cannot bind ${election.host}:${election.port} (${electionBusy})`,
    );
  }
}

function banner(config: ClusterConfig, logger: NodeLogger): void {
  const lines = [
    `HTTP API server listening on ${config.apiTls ? 'https' : 'http'}://${config.apiHost}:${config.apiPort} (advertised as ${config.apiUrl})`,
    'Endpoints:',
    '  GET  /           - Health check',
    '  POST /register   - Register new user',
    '  POST /heartbeat  - Send heartbeat',
    '  GET  /users      - List all registered users',
    '  GET  /discover   - List online clients',
    `Leader election address ${config.thisNode}; peers ${config.peers.join(', ')}`,
    `Data directory ${config.dataDir}`,
    config.adminToken
      ? 'Admin routes on (Authorization: Bearer <ADMIN_TOKEN>)'
      : 'Admin routes off (set ADMIN_TOKEN or ADMIN_TOKEN_FILE to turn them on)',
  ];
  for (const line of lines) logger.log(line, 'Main');
}

/**
 * SIGTERM/SIGINT: stop accepting, let requests in flight finish, close the store, exit 0.
 * Handled here rather than by enableShutdownHooks, which re-raises the signal and so exits 143.
 */
function handleSignals(app: INestApplication, logger: NodeLogger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: shutting down`, 'Main');
    const deadline = setTimeout(() => {
      logger.warn(`shutdown took over ${SHUTDOWN_DEADLINE_MS} ms; exiting anyway`, 'Main');
      process.exit(EXIT_FAILURE);
    }, SHUTDOWN_DEADLINE_MS);
    app.close().then(
      () => {
        clearTimeout(deadline);
        logger.log('stopped', 'Main');
        process.exit(0);
      },
      (err: Error) => {
        logger.error(`shutdown failed: ${err.message}`, err.stack, 'Main');
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = new NodeLogger(config.logLevel, config.logFormat, config.thisNode);
  await checkPorts(config);
  let app: INestApplication;
  try {
    app = await createApp(config, logger);
  } catch (err) {
    die(EXIT_FAILURE, `cannot start: ${(err as Error).message}`);
  }
  handleSignals(app, logger);
  try {
    await app.listen(config.apiPort, config.apiHost);
  } catch (err) {
    const { code, port } = err as NodeJS.ErrnoException & { port?: number };
    if ((code === 'EADDRINUSE' || code === 'EACCES') && port === config.electionBind.port) {
      die(
        EXIT_CONFIG,
        `config error: ${config.configFile}: this_node: cannot bind ${config.electionBind.host}:${port} (${code})`,
      );
    }
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      die(
        EXIT_CONFIG,
        `config error: ${config.configFile}: API_PORT: cannot bind ${config.apiHost}:${config.apiPort} (${code})`,
      );
    }
    throw err;
  }
  banner(config, logger);
  const driveNotice = driveStartupNotice(config.drive);
  if (driveNotice?.level === 'warn') logger.warn(driveNotice.line, 'Main');
  else if (driveNotice) logger.log(driveNotice.line, 'Main');
}

main().catch((err: Error) => die(EXIT_FAILURE, `fatal: ${err.stack ?? err.message}`));
