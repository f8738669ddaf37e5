export interface RunArgs {
  nodes: number;
  seconds: number;
  seed: number;
  /** Run the nodes with CLUSTER_SECRET: every election frame authenticated. */
  secret: boolean;
  /** follower_heartbeats and follower_reads on, and the workload's SDK clients in follower mode. */
  followers: boolean;
}

const USAGE =
  'usage: npm run chaos -- [--nodes 5] [--seconds 300] [--seed N] [--secret] [--followers]';

/** `--nodes N --seconds S --seed N` (or `--x=N`); anything else is an error with the usage. */
export function parseArgs(argv: string[]): RunArgs {
  const out: RunArgs = { nodes: 5, seconds: 300, seed: 1, secret: false, followers: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const key = flag.replace(/^--/, '');
    if ((flag === '--secret' || flag === '--followers') && inline === undefined) {
      out[key as 'secret' | 'followers'] = true;
      continue;
    }
    if (!flag.startsWith('--') || !(key in out) || key === 'secret' || key === 'followers')
      throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < (key === 'seed' ? 0 : 1)) {
      throw new Error(`--${key} needs a whole number, got ${String(raw)}\n${USAGE}`);
    }
    out[key as 'nodes' | 'seconds' | 'seed'] = value;
  }
  if (out.nodes < 3)
    throw new Error(`--nodes must be at least 3 to have faults a majority survives`);
  return out;
}
