import { readFileSync } from 'node:fs';
import { type HostPort, isHostPortError, parseHostPort } from '../common/address';
import { AdminToken } from '../common/admin-token';
import { ClusterSecret } from '../common/cluster-secret';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../common/logging/log-level';
import { type Checked, fault, ok, type Rule } from './value-rules';

/** The rules of the variables read from the environment only: they all start from text. */
type TextRule<T> = Rule<T, string>;

/** Most variables: trimmed, and unset when blank. */
const trimmed = (text: string): string | undefined => text.trim() || undefined;
/** Unset when blank, but kept as given so that a message quotes what the operator wrote. */
const asGiven = (text: string): string | undefined => (text.trim() ? text : undefined);

export const text: TextRule<string> = { fromText: trimmed, check: ok };

export const port: TextRule<number> = {
  fromText: asGiven,
  check(given) {
    const v = given.trim();
    if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) {
      return fault(`"${given}" is not a port in 1-65535`);
    }
    return ok(Number(v));
  },
};

export const hostPort: TextRule<HostPort> = {
  fromText: trimmed,
  check(v) {
    const parsed = parseHostPort(v);
    return isHostPortError(parsed) ? fault(parsed.error) : ok(parsed);
  },
};

/** A base URL that others append paths to, so it has none; trailing slashes are dropped first. */
export const baseUrl: TextRule<string> = {
  fromText: (t) => t.trim().replace(/\/+$/, '') || undefined,
  check: (v) =>
    /^https?:\/\/[^/]+$/.test(v)
      ? ok(v)
      : fault(`"${v}" must be an http(s) base URL without a path`),
};

export const httpUrl: TextRule<string> = {
  fromText: trimmed,
  check(v) {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return fault(`"${v}" is not a URL`);
    }
    const web = url.protocol === 'http:' || url.protocol === 'https:';
    return web ? ok(v) : fault(`"${v}" must be an http(s) URL`);
  },
};

/** One of a few words, in any case. */
export function oneOf<const C extends readonly string[]>(choices: C): TextRule<C[number]> {
  const isChoice = (v: string): v is C[number] => choices.includes(v);
  return {
    fromText: asGiven,
    check(given) {
      const v = given.trim().toLowerCase();
      return isChoice(v) ? ok(v) : fault(`"${given}" is not one of ${choices.join(', ')}`);
    },
  };
}

const lowerCase = (t: string): string | undefined => t.trim().toLowerCase() || undefined;

export const logLevel: TextRule<LogLevel> = {
  fromText: lowerCase,
  check: (v) => (isLogLevel(v) ? ok(v) : fault(`"${v}" is not one of ${LOG_LEVELS.join(', ')}`)),
};

/**
 * RUST_LOG may be `debug` or a directive list like `rollcall=debug,hyper=info`: a bare level is
 * the default for everything, else the first directive's level is the best reading of it.
 */
export const rustLogLevel: TextRule<LogLevel> = {
  fromText: lowerCase,
  check(rust) {
    const parts = rust.split(',').map((p) => p.trim());
    const bare = parts.find((p) => !p.includes('='));
    const level = bare ?? parts[0].split('=')[1] ?? '';
    if (level === 'off') return ok('error');
    if (isLogLevel(level)) return ok(level);
    return fault(`"${rust}" names no level among ${LOG_LEVELS.join(', ')}`);
  },
};

/** CLUSTER_SECRET, taken exactly as given: spaces are part of a secret. */
export const secret: TextRule<ClusterSecret> = asGivenSecret((v) => new ClusterSecret(v));

/**
 * CLUSTER_SECRET_FILE: one secret per line (two during a rotation: the one to use first, the
 * other still accepted); an empty file holds none. The node re-reads it on SIGHUP and on change.
 */
export const secretFile: TextRule<ClusterSecret | null> = secretInFile(
  (v, path) => new ClusterSecret(ClusterSecret.parseFile(v), path),
);

/** ADMIN_TOKEN, taken exactly as given, like CLUSTER_SECRET. */
export const adminToken: TextRule<AdminToken> = asGivenSecret((v) => new AdminToken(v));

/** ADMIN_TOKEN_FILE, read like CLUSTER_SECRET_FILE. */
export const adminTokenFile: TextRule<AdminToken | null> = secretInFile((v) => new AdminToken(v));

/** A secret given in a variable; `make` throws when it is unfit (too short). */
function asGivenSecret<S>(make: (value: string) => S): TextRule<S> {
  return { fromText: (t) => t, check: (v) => toSecret(v, make) };
}

/** A secret held in the named file. */
function secretInFile<S>(make: (value: string, path: string) => S): TextRule<S | null> {
  return {
    fromText: trimmed,
    check(path) {
      let content: string;
      try {
        content = readFileSync(path, 'utf8').trim();
      } catch (err) {
        return fault(`cannot read ${path}: ${messageOf(err)}`);
      }
      return content === '' ? ok(null) : toSecret(content, (v) => make(v, path));
    },
  };
}

function toSecret<S>(value: string, make: (value: string) => S): Checked<S> {
  try {
    return ok(make(value));
  } catch (err) {
    return fault(messageOf(err));
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
