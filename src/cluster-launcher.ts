/**
 * `npm run cluster`: every node of config.toml on this machine, in one terminal. Node i gets
 * API port 3000+i and its own data directory; each output line is prefixed with its node in
 * its own colour. Ctrl-C (or SIGTERM) stops them all gracefully. Without ADMIN_TOKEN(_FILE) in
 * the environment, one is generated for all the nodes and printed once, before they start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseCli, USAGE, UsageError } from './cli';
import { newAdminToken } from './common/admin-token';
import { ConfigError } from './config/config-error';
import { loadClusterConfig } from './config/config-loader';

const COLOURS = [36, 33, 35, 32, 34, 31, 96, 93];
const BASE_API_PORT = 3000;
/** Settings that name one node: inherited by all three, they would make the nodes share them. */
const PER_NODE_ENV = [
  'API_PORT',
  'API_URL',
  'DATA_DIR',
  'ELECTION_BIND',
  'THIS_NODE',
  'CPU_LOAD_FILE',
];

function main(): void {
  let configPath: string;
  let peers: string[];
  try {
    configPath = parseCli(process.argv.slice(2)).configPath;
    // The same environment the nodes will read, so PEERS and friends agree with them.
    peers = loadClusterConfig({ configPath, env: process.env }).peers;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`rollcall cluster: ${err.message}\n${USAGE}\n`);
      process.exit(2);
    }
    throw err;
  }
  const endpoints = peers.map((_, i) => `http://127.0.0.1:${BASE_API_PORT + i}`);
  const env = withAdminToken(sharedEnv(), endpoints);
  const width = Math.max(...peers.map((p) => p.length));
  const children: ChildProcess[] = peers.map((peer, i) => {
    const colour = process.stdout.isTTY ? COLOURS[i % COLOURS.length] : 0;
    const prefix = colour
      ? `\x1b[${colour}m${peer.padEnd(width)} |\x1b[0m `
      : `${peer.padEnd(width)} | `;
    const child = spawn(
      process.execPath,
      [join(__dirname, 'main.js'), '--config', configPath, '--this-node', peer],
      {
        env: { ...env, API_PORT: String(BASE_API_PORT + i) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (stream)
        createInterface({ input: stream }).on('line', (line) =>
          process.stdout.write(prefix + line + '\n'),
        );
    }
    child.once('exit', (code, signal) => {
      process.stdout.write(`${prefix}exited (${signal ?? `code ${code}`})\n`);
      if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(0);
    });
    return child;
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping the cluster...\n');
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * The nodes' environment with an admin token: the operator's own, or a new one printed here once
 * (like a notebook server's), so the admin routes and the `rollcall` CLI work out of the box.
 */
function withAdminToken(env: NodeJS.ProcessEnv, endpoints: string[]): NodeJS.ProcessEnv {
  if (env.ADMIN_TOKEN || env.ADMIN_TOKEN_FILE) return env;
  const token = newAdminToken();
  process.stdout.write(
    [
      'Admin token of this cluster (shown only now; set ADMIN_TOKEN to choose your own):',
      `    export ROLLCALL_ADMIN_TOKEN=${token}`,
      `    export ROLLCALL_ENDPOINTS=${endpoints.join(',')}`,
      '    npm exec -- rollcall status',
      '',
    ].join('\n'),
  );
  return { ...env, ADMIN_TOKEN: token };
}

function sharedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of PER_NODE_ENV) delete env[key];
  return env;
}

main();
