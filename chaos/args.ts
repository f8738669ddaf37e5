export interface RunArgs {
  nodes: number;
  seconds: number;
  seed: number;
}

const USAGE = 'usage: npm run chaos -- [--nodes 5] [--seconds 300] [--seed N]';

/** `--nodes N --seconds S --seed N` (or `--x=N`); anything else is an error with the usage. */
export function parseArgs(argv: string[]): RunArgs {
  const out: RunArgs = { nodes: 5, seconds: 300, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const key = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !(key in out))
      throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < (key === 'seed' ? 0 : 1)) {
      throw new Error(`--${key} needs a whole number, got ${String(raw)}\n${USAGE}`);
    }
    out[key as keyof RunArgs] = value;
  }
  if (out.nodes < 3)
    throw new Error(`--nodes must be at least 3 to have faults a majority survives`);
  return out;
}
