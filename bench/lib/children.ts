import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

const TAIL_LINES = 40;

/** Every child a bench started and every temp dir it made, so that any exit path cleans up. */
const live = new Set<Child>();
const tempDirs = new Set<string>();

/** A process started by a bench: its last output lines, its exit, and signals. */
export class Child {
  readonly tail: string[] = [];
  /** Lines printed so far; with `linesSince` gives what was printed after a mark. */
  lineCount = 0;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    cwd?: string,
  ) {
    this.proc = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        this.tail.push(line.length > 400 ? `${line.slice(0, 400)}...` : line);
        this.lineCount++;
        if (this.tail.length > TAIL_LINES) this.tail.shift();
      }
    };
    this.proc.stdout?.on('data', collect);
    this.proc.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.proc.once('error', (err) => {
        this.tail.push(`spawn error: ${err.message}`);
        live.delete(this);
        resolve({ code: null, signal: null });
      });
      this.proc.once('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      });
    });
  }

  /** The lines printed after `mark` (a past lineCount), as far as the tail still holds them. */
  linesSince(mark: number): string[] {
    const n = Math.min(this.lineCount - mark, this.tail.length);
    return n > 0 ? this.tail.slice(-n) : [];
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return live.has(this);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.proc.kill(sig);
  }

  /** SIGKILL and wait until the process is gone. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }
}

export function trackTempDir(dir: string): void {
  tempDirs.add(dir);
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Synchronous, so it also works from process.on('exit'). */
export function killAllNow(): void {
  for (const c of live) c.signal('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Children die with the bench: normal exit, error, Ctrl-C or SIGTERM. */
export function installCleanup(): void {
  process.once('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping every child process\n`);
      killAllNow();
      process.exit(130);
    });
  }
}
