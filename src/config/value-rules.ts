import { type HostPort, isHostPortError, parseHostPort } from '../common/address';

/** A value that passed its rule, or what is wrong with it; `at` names the part at fault ("[1]"). */
export type Checked<T> = { ok: true; value: T } | Fault;
export interface Fault {
  ok: false;
  problem: string;
  at?: string;
}

export const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
export const fault = (problem: string, at?: string): Fault => ({ ok: false, problem, at });

/**
 * How one setting's value is read and checked. config.toml hands `check` a typed TOML value; the
 * environment and the command line hand `fromText` their text, which becomes what the file would
 * hold ("50" becomes 50) or undefined when the text means "not set". `Given` is what `check`
 * accepts: anything for a config.toml key, text for an environment-only variable.
 */
export interface Rule<T, Given = unknown> {
  fromText(text: string): Given | undefined;
  check(value: Given): Checked<T>;
}

/** An integer from `min` (1 unless told) to `max`; TOML's big integers are accepted as numbers. */
export function int({ min = 1, max = Number.MAX_SAFE_INTEGER } = {}): Rule<number> {
  return {
    fromText: (text) => (/^-?\d+$/.test(text.trim()) ? Number(text) : text),
    check(given) {
      const v = typeof given === 'bigint' ? Number(given) : given;
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        return fault(`must be an integer, got ${typeOf(v)}`);
      }
      if (v < min) {
        return fault(
          min === 1 ? `must be positive, got ${v}` : `must be at least ${min}, got ${v}`,
        );
      }
      if (v > max) return fault(`must be at most ${max}, got ${v}`);
      return ok(v);
    },
  };
}

/** true or false; the environment's text in any case, config.toml's as a boolean or a string. */
export const bool: Rule<boolean> = {
  fromText: (text) => text.trim().toLowerCase(),
  check(v) {
    if (v === true || v === 'true') return ok(true);
    if (v === false || v === 'false') return ok(false);
    return fault(`must be true or false, got ${typeOf(v)}`);
  },
};

/** A `host:port` as written, with its parts. */
export interface Address extends HostPort {
  text: string;
}

/** A node's election address, `host:port` (IPv4, [IPv6] or a DNS name). */
export const address: Rule<Address> = {
  fromText: (text) => text,
  check(v) {
    if (typeof v !== 'string') return fault(`must be a string "host:port", got ${typeOf(v)}`);
    const parsed = parseHostPort(v);
    return isHostPortError(parsed) ? fault(parsed.error) : ok({ text: v, ...parsed });
  },
};

/** Every member's address, at least one, no two alike; the environment separates them by commas. */
export const peerAddresses: Rule<string[]> = {
  fromText: (text) => text.split(',').map((p) => p.trim()),
  check(v) {
    if (!Array.isArray(v)) {
      return fault(`must be an array of "host:port" strings, got ${typeOf(v)}`);
    }
    const list: unknown[] = v;
    if (list.length === 0) return fault('must list at least this node');
    const seen = new Set<string>();
    for (const [i, p] of list.entries()) {
      const peer = address.check(p);
      if (!peer.ok) return fault(peer.problem, `[${i}]`);
      if (seen.has(peer.value.text)) return fault(`duplicate peer "${peer.value.text}"`);
      seen.add(peer.value.text);
    }
    return ok([...seen]);
  },
};

/** A value as a message names it: `the string "1s"`, `number 2.5`, `an array`. */
export function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string "${v}"`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
    return `${typeof v} ${v}`;
  }
  return typeof v === 'object' ? 'a table' : typeof v;
}
