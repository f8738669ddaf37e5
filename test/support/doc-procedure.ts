import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The operator's page whose procedures the e2e tests follow. */
export const OPERATIONS_MD = join(__dirname, '..', '..', 'docs', 'operations.md');

/** The prefix of a `rollcall` command in the docs: the package's bin, run from the repository. */
const ROLLCALL = 'npm exec -- rollcall ';

/** Rewrites a command of the docs for this test: the example addresses become the real ones. */
export type Substitute = (command: string) => string;

/**
 * The example machines of docs/operations.md are those of `npm run cluster`: node i at
 * 127.0.0.1:808i, its API at http://127.0.0.1:300i, its data in data/127.0.0.1-808i.
 * `machine(i)` says which of the test's machines plays example node i.
 */
export function exampleMachines(machine: (example: number) => Machine): Substitute {
  return (command) =>
    command
      .replace(/http:\/\/127\.0\.0\.1:300(\d)/g, (_, i: string) => machine(Number(i)).api)
      .replace(/data\/127\.0\.0\.1-808(\d)/g, (dir, i: string) => machine(Number(i)).dataDir ?? dir)
      .replace(/127\.0\.0\.1:808(\d)/g, (_, i: string) => machine(Number(i)).node);
}

export interface Machine {
  /** Election address (host:port), the member's name. */
  node: string;
  /** HTTP API URL. */
  api: string;
  dataDir?: string;
}

/**
 * One numbered procedure of docs/operations.md (a `###` section), read so that a test runs
 * the very commands the page gives: `step(n)` hands out step n's commands (the lines of its
 * code blocks, `\` continuations joined, comments dropped), and remembers it was taken, so a
 * test can check at its end that it took every step (a step added to the page must be tested).
 */
export class DocProcedure {
  private readonly taken = new Set<number>();

  private constructor(
    readonly heading: string,
    private readonly steps: Map<number, string[]>,
  ) {}

  static read(heading: string, markdown = readFileSync(OPERATIONS_MD, 'utf8')): DocProcedure {
    return new DocProcedure(heading, parseSteps(sectionOf(markdown, heading), heading));
  }

  /** Step n's commands with `substitute` applied; throws when the page has no such step. */
  step(n: number, substitute: Substitute): string[] {
    const commands = this.steps.get(n);
    if (commands === undefined) throw new Error(`"${this.heading}" has no step ${n}`);
    this.taken.add(n);
    return commands.map(substitute);
  }

  /** The arguments of each `npm exec -- rollcall ...` command of step n, substituted. */
  rollcall(n: number, substitute: Substitute): string[][] {
    const lines = this.step(n, substitute).filter((c) => c.startsWith(ROLLCALL));
    if (lines.length === 0) throw new Error(`step ${n} of "${this.heading}" runs no rollcall`);
    return lines.map((c) => argv(c.slice(ROLLCALL.length)));
  }

  /** The one command of step n that starts with `program` (`node`, `curl`), as words. */
  command(n: number, program: string, substitute: Substitute): string[] {
    const words = this.step(n, substitute)
      .map(argv)
      .filter((w) => w[w.findIndex((x) => !/^[A-Z_]+=/.test(x))] === program);
    if (words.length !== 1) throw new Error(`step ${n} of "${this.heading}": no one ${program}`);
    return words[0];
  }

  /** Every step of the page the test did not take. */
  stepsNotTaken(): number[] {
    return [...this.steps.keys()].filter((n) => !this.taken.has(n));
  }
}

/** `VAR=value` words before the program, as an environment. */
export function envOf(words: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const w of words) {
    const assignment = /^([A-Z_]+)=(.*)$/.exec(w);
    if (assignment === null) break;
    env[assignment[1]] = assignment[2];
  }
  return env;
}

/** The value after `flag` in `words`. */
export function flagOf(words: string[], flag: string): string | undefined {
  const at = words.indexOf(flag);
  return at < 0 ? undefined : words[at + 1];
}

/** The lines from `### heading` up to the next heading of level 1-3. */
function sectionOf(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`### ${heading}`);
  if (start < 0) throw new Error(`docs/operations.md has no "### ${heading}"`);
  const end = lines.findIndex((l, i) => i > start && /^#{1,3} /.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Each numbered step's commands: the lines of the code blocks under `n. ...`. */
function parseSteps(section: string[], heading: string): Map<number, string[]> {
  const steps = new Map<number, string[]>();
  let step: number | null = null;
  let inFence = false;
  for (const line of section) {
    const fence = /^\s*```/.test(line);
    if (fence) inFence = !inFence;
    else if (inFence && step !== null) steps.get(step)!.push(line);
    else if (!inFence && /^\d+\. /.test(line)) {
      step = Number(/^(\d+)\./.exec(line)![1]);
      steps.set(step, []);
    }
  }
  if (steps.size === 0) throw new Error(`"${heading}" has no numbered steps`);
  for (const [n, lines] of steps) steps.set(n, commandsOf(lines));
  return steps;
}

/** Lines of a shell block as commands: comments dropped, `\` continuations joined. */
function commandsOf(lines: string[]): string[] {
  const commands: string[] = [];
  let pending = '';
  for (const raw of lines) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.endsWith('\\')) pending += `${line.slice(0, -1).trim()} `;
    else {
      commands.push(pending + line);
      pending = '';
    }
  }
  return commands;
}

/** A command's words; the procedures quote nothing, so spaces split them. */
function argv(command: string): string[] {
  if (/['"$`]/.test(command)) throw new Error(`a documented command quotes or expands: ${command}`);
  return command.split(/\s+/).filter((w) => w !== '');
}
