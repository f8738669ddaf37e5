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
    const v = inline ?? argv[++i];
    const n = Number(v);
    const [min, max] = limits[key];
    if (!v || !Number.isInteger(n) || n < min || n > max) {
      throw new Error(`${flag} needs a whole number from ${min} to ${max}\n${usage}`);
    }
    out[key] = n;
  }
  return out;
}
