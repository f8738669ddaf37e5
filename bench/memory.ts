/**
 * Memory per online client and per registered user, at `--count` (1M) of each, against a plain
 * Map of the same strings measured the same way in the same run; and the time of one presence
 * expiry pass with `--count` online and nothing due, then with 10k and 100k due.
 *
 * Each case runs in its own `node --expose-gc` process (RSS never shrinks back, so cases must
 * not share one): full GC, heap and RSS, build the entries with the real classes
 * (PresenceService.heartbeat, RegistryStateMachine.apply), full GC, heap and RSS again; the
 * deltas over the count are the figures. Expiry uses PresenceService with a hand-moved clock.
 *
 *   npm run bench:memory -- [--count N] [--idle-passes N] [--due-passes N]
 *
 * Measures only: there is no assertion on any number. Results go to bench/results/.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { parseNumberArgs } from './lib/args';
import { durationLine, reportHeader, startBench, writeResults } from './lib/results';
import { now } from './lib/time';
import {
  MEMORY_CASES,
  type MemoryResult,
  measureMemory,
  type PassTimes,
  timeExpiry,
} from './memory/cases';

const REPO = resolve(__dirname, '..', '..');
const TARGETS = { perOnlineClient: 300, perRegisteredUser: 600, idlePassMs: 1 };
const log = (line: string) => process.stdout.write(`${line}\n`);
const MARK = 'MEMORY_JSON ';

/** Inside a child: one case, one JSON line out. */
function runCase(name: string, count: number, idlePasses: number, duePasses: number): void {
  const result =
    name === 'expiry'
      ? timeExpiry(count, idlePasses, [
          { due: 10_000, passes: duePasses },
          { due: 100_000, passes: duePasses },
        ])
      : measureMemory(MEMORY_CASES[name].build, count);
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`);
}

function child<T>(name: string, args: string[]): Promise<T> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, ['--expose-gc', __filename, '--case', name, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    // A 1M build takes seconds; this only guards against a child that never ends.
    const guard = setTimeout(() => proc.kill('SIGKILL'), 300_000);
    proc.once('exit', (code) => {
      clearTimeout(guard);
      const line = out.split('\n').find((l) => l.startsWith(MARK));
      if (code !== 0 || !line)
        return fail(new Error(`case ${name} exited ${code}: ${out.slice(-300)}`));
      done(JSON.parse(line.slice(MARK.length)) as T);
    });
  });
}

const bytes = (r: MemoryResult) =>
  `heap ${r.heapPerEntry.toFixed(0)} B, RSS ${r.rssPerEntry.toFixed(0)} B per entry (heap +${(r.heapDeltaBytes / 2 ** 20).toFixed(1)} MiB, RSS +${(r.rssDeltaBytes / 2 ** 20).toFixed(1)} MiB; built in ${r.buildMs} ms)`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const caseAt = argv.indexOf('--case');
  const caseName = caseAt >= 0 ? argv.splice(caseAt, 2)[1] : null;
  const args = parseNumberArgs(
    argv,
    { count: 1_000_000, 'idle-passes': 1001, 'due-passes': 9 },
    { count: [100_000, 5_000_000], 'idle-passes': [1, 100_000], 'due-passes': [1, 9] },
    'memory',
  );
  if (caseName !== null)
    return runCase(caseName, args.count, args['idle-passes'], args['due-passes']);

  const command = `npm run bench:memory${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const start = startBench('memory', REPO, log);
  const { startedAt, t0, loadBefore } = start;
  log(`load average at the start: ${loadBefore.join(' ')}`);
  const childArgs = argv;
  const memory: Record<string, MemoryResult & { what: string }> = {};
  for (const [name, c] of Object.entries(MEMORY_CASES)) {
    const r = await child<MemoryResult>(name, childArgs);
    memory[name] = { what: c.what, ...r };
    log(`${name} x ${args.count}: ${bytes(r)}`);
  }
  const expiry = await child<PassTimes[]>('expiry', childArgs);
  for (const p of expiry) {
    log(
      `expiry pass, ${args.count} online, ${p.due} due: median ${p.medianMs.toFixed(4)} ms, p90 ${p.p90Ms.toFixed(4)} ms, max ${p.maxMs.toFixed(3)} ms over ${p.passes} passes${p.allExpiredAsPlanned ? '' : ' (EXPIRED COUNT DIFFERED FROM PLAN)'}`,
    );
  }
  const perOnline = Math.max(memory.presence.heapPerEntry, memory.presence.rssPerEntry);
  const perUser = Math.max(memory.registry.heapPerEntry, memory.registry.rssPerEntry);
  const idle = expiry.find((p) => p.due === 0);
  const targets = {
    perOnlineClient: {
      max: TARGETS.perOnlineClient,
      measured: perOnline,
      met: perOnline <= TARGETS.perOnlineClient,
    },
    perRegisteredUser: {
      max: TARGETS.perRegisteredUser,
      measured: perUser,
      met: perUser <= TARGETS.perRegisteredUser,
    },
    idleExpiryPass: {
      maxMs: TARGETS.idlePassMs,
      measured: idle?.medianMs ?? null,
      met: idle !== undefined && idle.medianMs <= TARGETS.idlePassMs,
    },
  };
  const ratios = {
    presenceToReference: {
      heap: memory.presence.heapPerEntry / memory['online-reference'].heapPerEntry,
      rss: memory.presence.rssPerEntry / memory['online-reference'].rssPerEntry,
    },
    registryToReference: {
      heap: memory.registry.heapPerEntry / memory['registry-reference'].heapPerEntry,
      rss: memory.registry.rssPerEntry / memory['registry-reference'].rssPerEntry,
    },
    registryFromLogToReference: {
      heap: memory['registry-from-log'].heapPerEntry / memory['registry-reference'].heapPerEntry,
      rss: memory['registry-from-log'].rssPerEntry / memory['registry-reference'].rssPerEntry,
    },
  };
  log(
    `presence / reference: heap ${ratios.presenceToReference.heap.toFixed(2)}x, RSS ${ratios.presenceToReference.rss.toFixed(2)}x`,
  );
  log(
    `registry / reference: heap ${ratios.registryToReference.heap.toFixed(2)}x, RSS ${ratios.registryToReference.rss.toFixed(2)}x`,
  );
  log(
    `registry from the log / reference: heap ${ratios.registryFromLogToReference.heap.toFixed(2)}x, RSS ${ratios.registryFromLogToReference.rss.toFixed(2)}x`,
  );
  for (const [k, t] of Object.entries(targets))
    log(`target ${k}: ${t.met ? 'met' : 'NOT met'} (${JSON.stringify(t)})`);
  const durationMs = now() - t0;
  log(durationLine(durationMs, loadBefore));
  const file = writeResults(REPO, 'memory', startedAt, {
    ...reportHeader('memory', start, durationMs),
    command,
    settings: {
      ...args,
      clientTimeoutMs: 30_000,
      perEntryFigure: 'max of heap and RSS delta over the count',
    },
    memory,
    ratios,
    expiry,
    targets,
  });
  log(`results: ${file}`);
}

main().catch((err: Error) => {
  process.stderr.write(`memory bench: ${err.message}\n`);
  process.exit(1);
});
