import { spawn, spawnSync } from 'node:child_process';

/** What one wrk run reports (from the Lua script's done() line and wrk's own summary). */
export interface WrkResult {
  requests: number;
  seconds: number;
  perSecond: number;
  /** Answers outside 2xx, from wrk's "Non-2xx or 3xx responses" line (0 when it prints none). */
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Answers by status, when the script counts them (rotate-statuses.lua). */
  statuses?: Record<string, number>;
}

export interface WrkPlan {
  url: string;
  script: string;
  /** Passed to the script after `--`. */
  scriptArgs: string[];
  threads: number;
  connections: number;
  seconds: number;
}

/**
 * wrk on PATH, or installed with apt-get when this runs as root; null with the reason otherwise,
 * so that the caller can fall back instead of failing.
 */
export function ensureWrk(log: (line: string) => void): string | null {
  const found = () => spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).stdout.trim();
  if (found()) return null;
  if (process.getuid?.() !== 0) return 'wrk is not installed and this is not root';
  log('wrk missing: apt-get install -y wrk');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 180_000 });
  spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore', env, timeout: 180_000 });
  return found() ? null : 'apt-get install -y wrk failed';
}

export function runWrk(plan: WrkPlan): Promise<WrkResult> {
  const args = [
    `-t${plan.threads}`,
    `-c${plan.connections}`,
    `-d${plan.seconds}s`,
    '--timeout',
    '5s',
    '-s',
    plan.script,
    plan.url,
    '--',
    ...plan.scriptArgs,
  ];
  return new Promise((resolve, reject) => {
    const proc = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    // wrk stops itself after -d; this only guards against a wrk that hangs on exit.
    const guard = setTimeout(() => proc.kill('SIGKILL'), (plan.seconds + 30) * 1000);
    proc.once('error', reject);
    // 'close', not 'exit': a process can exit before its output is read from the pipe, and a
    // loaded machine's wrk then seemed to print nothing (a followers round failed so).
    proc.once('close', (code, signal) => {
      clearTimeout(guard);
      const line = /^WRK_JSON (.*)$/m.exec(out);
      if (!line) {
        const how = signal ? `signal ${signal}` : `code ${code}`;
        return reject(new Error(`wrk (exit ${how}) printed no result: ${out.slice(-500)}`));
      }
      const j = JSON.parse(line[1]) as Record<string, number>;
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      const seconds = j.duration_us / 1e6;
      const statuses = /^WRK_STATUSES (.*)$/m.exec(out);
      resolve({
        requests: j.requests,
        seconds,
        perSecond: j.requests / seconds,
        non2xx: non2xx ? Number(non2xx[1]) : 0,
        socketErrors: {
          connect: j.connect_errors,
          read: j.read_errors,
          write: j.write_errors,
          timeout: j.timeouts,
        },
        latencyMs: {
          p50: j.p50_us / 1000,
          p90: j.p90_us / 1000,
          p99: j.p99_us / 1000,
          max: j.max_us / 1000,
          mean: j.mean_us / 1000,
        },
        ...(statuses ? { statuses: JSON.parse(statuses[1]) as Record<string, number> } : {}),
      });
    });
  });
}
