export interface CliArgs {
  configPath: string;
  thisNode?: string;
  join?: string;
}

export class UsageError extends Error {}

export const USAGE =
  'usage: rollcall [--config config.toml] [--this-node host:port] [--join http://member-api]';

/** Parses `--config PATH` and `--this-node ADDR` (also as `--flag=value`). */
export function parseCli(argv: string[]): CliArgs {
  const out: CliArgs = { configPath: 'config.toml' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') continue; // `nest start -- --config ...` may pass the separator through
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--config') out.configPath = value();
    else if (flag === '--this-node') out.thisNode = value();
    else if (flag === '--join') out.join = value();
    else throw new UsageError(`unknown argument "${arg}"`);
  }
  return out;
}
