export interface RunArgs {
  nodes: number;
  seconds: number;
  seed: number;
  /** Run the nodes with CLUSTER_SECRET: every election frame authenticated. */
  secret: boolean;
  /** follower_heartbeats and follower_reads on, and the workload's SDK clients in follower mode. */
  followers: boolean;
  /** Membership faults: add, promote, remove and replace members during the other faults. */
  membership: boolean;
  /** Slots for new machines with --membership (each used once, at a new address). */
  spares: number;
}

const USAGE =
  'usage: npm run chaos -- [--nodes 5] [--seconds 300] [--seed N] [--secret] [--followers] [--membership [--spares N]]';

const SWITCHES = ['secret', 'followers', 'membership'] as const;
const NUMBERS = ['nodes', 'seconds', 'seed', 'spares'] as const;

/**
 * `--nodes N --seconds S --seed N` (or `--x=N`), the switches; anything else is an error with
 * the usage. `--spares` defaults to one per 30 s of run (at least 2): about what the schedule's
 * adds and replaces use, each at an address never used before.
 */
export function parseArgs(argv: string[]): RunArgs {
  const out: RunArgs = {
    nodes: 5,
    seconds: 300,
    seed: 1,
    secret: false,
    followers: false,
    membership: false,
    spares: -1,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const key = flag.replace(/^--/, '');
    if (flag.startsWith('--') && SWITCHES.includes(key as never) && inline === undefined) {
      out[key as (typeof SWITCHES)[number]] = true;
      continue;
    }
    if (!flag.startsWith('--') || !NUMBERS.includes(key as never))
      throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < (key === 'seed' || key === 'spares' ? 0 : 1)) {
      throw new Error(`--${key} needs a whole number, got ${String(raw)}\n${USAGE}`);
    }
    out[key as (typeof NUMBERS)[number]] = value;
  }
  if (out.nodes < 3)
    throw new Error(`--nodes must be at least 3 to have faults a majority survives`);
  if (out.spares >= 0 && !out.membership)
    throw new Error(`--spares needs --membership (spare slots are for membership faults)`);
  if (out.spares < 0) out.spares = out.membership ? Math.max(2, Math.ceil(out.seconds / 30)) : 0;
  return out;
}
