/**
 * `--name N` / `--name=N` flags, each a whole number within its limits; anything else is an
 * error naming the flags that exist.
 */
export function parseNumberArgs<K extends string>(
  argv: string[],
  defaults: Record<K, number>,
  limits: Record<K, readonly [number, number]>,
  bench: string,
): Record<K, number> {
  const out = { ...defaults };
  const usage = `usage: ${bench} ${Object.keys(defaults)
    .map((k) => `[--${k} N]`)
    .join(' ')}`;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const key = flag.replace(/^--/, '') as K;
    if (!flag.startsWith('--') || !(key in defaults)) {
      throw new Error(`unknown argument "${argv[i]}"\n${usage}`);
    }
    const [min, max] = limits[key];
    out[key] = wholeNumberArg(flag, inline ?? argv[++i], [min, max], usage);
  }
  return out;
}

/** The value of `flag` as a whole number from min to max; else an error with the usage. */
export function wholeNumberArg(
  flag: string,
  value: string | undefined,
  [min, max]: readonly [number, number],
  usage: string,
): number {
  const n = Number(value);
  if (!value || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${flag} needs a whole number from ${min} to ${max}\n${usage}`);
  }
  return n;
}

/**
 * The last flags a bench with flags of its own reads: `--log-level LEVEL` (the level is
 * returned) and `--help` (prints the usage and exits). Anything else is refused.
 */
export function logLevelOrHelp(
  arg: string,
  flag: string,
  value: () => string | undefined,
  usage: string,
): string {
  if (flag === '--log-level') {
    const level = value() ?? '';
    if (!/^[a-z]+$/.test(level)) throw new Error(`--log-level needs a level\n${usage}`);
    return level;
  }
  if (flag === '--help' || flag === '-h') {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  throw new Error(`unknown argument "${arg}"\n${usage}`);
}
