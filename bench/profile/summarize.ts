/**
 * Where a process spent its CPU, from a V8 `.cpuprofile` (node --cpu-prof): self time by
 * package or file, and by function, in µs per request when the request count is given. With a
 * second profile, the difference per request, largest first: which code a change added.
 *
 *   node .bench-build/bench/profile/summarize.js PROFILE[:REQUESTS] [OTHER[:REQUESTS]]
 *        [--window-s N] [--top N]
 *
 * `--window-s N` keeps the samples of the N seconds before the last second of the profile (a
 * load run that ended just before the process was stopped), leaving out start-up and set-up.
 * bench/profile/profile-leader.sh makes such profiles. Measures only; asserts nothing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}
/** Microseconds of self time per key. */
type Tally = Map<string, number>;
interface Summary {
  byPlace: Tally;
  byFunction: Tally;
  requests: number;
}

/** A package under node_modules, a file of the build, or V8's own entry ("(idle)", "writev"). */
function placeOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName;
  const inModules = url.split('node_modules/').at(-1) ?? url;
  if (inModules !== url) {
    const parts = inModules.split('/');
    return parts[0].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  }
  return url.replace(/^.*\/dist\//, 'dist/').replace(/^file:\/\//, '');
}

function add(tally: Tally, key: string, us: number): void {
  tally.set(key, (tally.get(key) ?? 0) + us);
}

function readProfile(path: string): CpuProfile {
  const file = statSync(path).isDirectory()
    ? join(path, readdirSync(path).find((f) => f.endsWith('.cpuprofile')) ?? '')
    : path;
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

function summarize(spec: string, windowS: number | null): Summary {
  const [path, count] = spec.split(/:(?=\d+$)/);
  const profile = readProfile(path);
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const to = profile.endTime - 1e6;
  const from = windowS === null ? -Infinity : to - windowS * 1e6;
  const summary: Summary = { byPlace: new Map(), byFunction: new Map(), requests: Number(count) };
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    const frame = frames.get(id);
    if (!frame || at < from || (windowS !== null && at > to)) return;
    add(summary.byPlace, placeOf(frame), us);
    const file = frame.url.split('/').at(-1) ?? '';
    add(
      summary.byFunction,
      `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber}`,
      us,
    );
  });
  return summary;
}

/** µs per request when the count is known, else ms in all. */
function scaled(s: Summary, us: number): number {
  return s.requests > 0 ? us / s.requests : us / 1000;
}

function table(
  title: string,
  a: Summary,
  tallyOf: (s: Summary) => Tally,
  b: Summary | null,
  top: number,
): string[] {
  const unit = a.requests > 0 ? 'µs/request' : 'ms';
  const keys = new Set([...tallyOf(a).keys(), ...(b ? tallyOf(b).keys() : [])]);
  const rows = [...keys].map((k) => {
    const x = scaled(a, tallyOf(a).get(k) ?? 0);
    const y = b ? scaled(b, tallyOf(b).get(k) ?? 0) : 0;
    return { k, x, y, d: x - y };
  });
  rows.sort((p, q) => (b ? q.d - p.d : q.x - p.x));
  const busy = (s: Summary) =>
    scaled(
      s,
      [...tallyOf(s)].reduce((t, [k, v]) => (k.startsWith('(idle)') ? t : t + v), 0),
    );
  const head = b
    ? `${title} (${unit}; busy ${busy(a).toFixed(1)} against ${busy(b).toFixed(1)})`
    : `${title} (${unit}; busy ${busy(a).toFixed(1)})`;
  const line = (r: (typeof rows)[number]) =>
    b
      ? `${r.x.toFixed(2).padStart(9)} ${r.y.toFixed(2).padStart(9)} ${(r.d >= 0 ? '+' : '') + r.d.toFixed(2)}  ${r.k}`
      : `${r.x.toFixed(2).padStart(9)}  ${r.k}`;
  return [head, ...rows.slice(0, top).map(line), ''];
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string): number | null => {
    const at = args.indexOf(name);
    if (at < 0) return null;
    const value = Number(args.splice(at, 2)[1]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
    return value;
  };
  const windowS = option('--window-s');
  const top = option('--top') ?? 25;
  if (args.length < 1 || args.length > 2) {
    throw new Error(
      'usage: summarize.js PROFILE[:REQUESTS] [OTHER[:REQUESTS]] [--window-s N] [--top N]',
    );
  }
  const a = summarize(args[0], windowS);
  const b = args[1] ? summarize(args[1], windowS) : null;
  const out = [
    ...table('by package or file', a, (s) => s.byPlace, b, top),
    ...table('by function', a, (s) => s.byFunction, b, top),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
