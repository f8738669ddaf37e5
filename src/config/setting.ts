import { ConfigError } from './config-error';
import type { Checked, Rule } from './value-rules';

/** Everything a setting may be read from. */
export interface Inputs {
  /** config.toml's path, which every message starts with. */
  file: string;
  toml: Readonly<Record<string, unknown>>;
  env: NodeJS.ProcessEnv;
  /** Command-line flags by name (`--this-node`), undefined when not given. */
  cli: Readonly<Record<string, string | undefined>>;
}

/** A value one source has, checked only if it is the one that counts. */
interface Candidate<T> {
  /** What a message calls it: `peers`, `peers (from env PEERS)`, `API_PORT`. */
  label: string;
  check: () => Checked<T>;
}

/** One place a value may be given, and the documented name it is given for. */
interface Source<T> {
  owner: string;
  find: (inputs: Inputs) => Candidate<T> | undefined;
}

/** A setting's value and the label of the source it came from. */
export interface Found<V> {
  value: V;
  label: string;
}

/** The shown default of a setting that toClusterConfig computes from other settings. */
export const DERIVED = '(derived)';

/** A declared setting: the names a user writes, its default as shown, and how it is read. */
export class Setting<V> {
  constructor(
    /** The documented names: the config.toml key or variable, then any it excludes. */
    readonly names: readonly string[],
    /** Other variables read in its place when it is unset (RUST_LOG for LOG_LEVEL). */
    readonly aliases: readonly string[],
    /** Whether its first name is a config.toml key (the environment may then override it). */
    readonly inFile: boolean,
    /** The default as the docs write it: a value, `-` for none, or DERIVED. */
    readonly shownDefault: string,
    readonly read: (inputs: Inputs) => Found<V>,
  ) {}

  /** The same setting, its value converted after the check (MiB to bytes). */
  map<T>(convert: (value: V) => T): Setting<T> {
    return new Setting(this.names, this.aliases, this.inFile, this.shownDefault, (inputs) => {
      const found = this.read(inputs);
      return { value: convert(found.value), label: found.label };
    });
  }
}

/**
 * Where a setting's value may come from, the first source that has one winning; `required`,
 * `withDefault`, `optional` or `derived` then say what happens when none has.
 */
export class Sources<G> {
  constructor(
    private readonly name: string,
    private readonly inFile: boolean,
    private readonly sources: readonly Source<G>[],
    private readonly excluded: readonly string[] = [],
    private readonly aliases: readonly string[] = [],
  ) {}

  /** Falls back on another variable with its own rule when this one is unset. */
  or<H>(alias: Sources<H>): Sources<G | H> {
    const sources: Source<G | H>[] = [...this.sources, ...alias.sources];
    const aliases = [...this.aliases, alias.name];
    return new Sources<G | H>(this.name, this.inFile, sources, this.excluded, aliases);
  }

  /** Another variable that gives the same value; setting both is refused before either is read. */
  notWith<H>(other: Sources<H>): Sources<G | H> {
    const sources: Source<G | H>[] = [...this.sources, ...other.sources];
    const excluded = [...this.excluded, other.name];
    return new Sources<G | H>(this.name, this.inFile, sources, excluded, this.aliases);
  }

  required(): Setting<G> {
    return this.setting('-', (inputs): Found<never> => {
      throw new ConfigError(inputs.file, this.name, 'missing');
    });
  }

  withDefault(value: G): Setting<G> {
    return this.setting(String(value), () => ({ value, label: this.name }));
  }

  optional(): Setting<G | null> {
    return this.setting('-', () => ({ value: null, label: this.name }));
  }

  /** No default of its own: toClusterConfig computes one from other settings when it is null. */
  derived(): Setting<G | null> {
    return this.setting(DERIVED, () => ({ value: null, label: this.name }));
  }

  private setting<A>(shownDefault: string, absent: (inputs: Inputs) => Found<A>): Setting<G | A> {
    const names = [this.name, ...this.excluded];
    const read = (inputs: Inputs): Found<G | A> => this.first(inputs) ?? absent(inputs);
    return new Setting(names, this.aliases, this.inFile, shownDefault, read);
  }

  private first(inputs: Inputs): Found<G> | undefined {
    const given = this.sources.flatMap(({ owner, find }) => {
      const found = find(inputs);
      return found ? [{ owner, ...found }] : [];
    });
    const rivals = [this.name, ...this.excluded];
    if (new Set(given.map((g) => g.owner).filter((o) => rivals.includes(o))).size > 1) {
      throw new ConfigError(inputs.file, this.name, `set either ${rivals.join(' or ')}, not both`);
    }
    if (given.length === 0) return undefined;
    const { label, check } = given[0];
    const checked = check();
    if (!checked.ok) {
      throw new ConfigError(inputs.file, label + (checked.at ?? ''), checked.problem);
    }
    return { value: checked.value, label };
  }
}

/**
 * A config.toml key, which the environment overrides in upper case and `cli`, when named, on the
 * command line above both.
 */
export function fileKey<G>(key: string, rule: Rule<G>, cli?: string): Sources<G> {
  const variable = key.toUpperCase();
  const sources: Source<G>[] = [
    fromEnv(key, variable, `${key} (from env ${variable})`, rule),
    { owner: key, find: ({ toml }) => candidate(key, rule, toml[key]) },
  ];
  if (cli) {
    const label = `${key} (from ${cli})`;
    const find = (inputs: Inputs) => {
      const text = inputs.cli[cli];
      return text === undefined ? undefined : candidate(label, rule, rule.fromText(text));
    };
    sources.unshift({ owner: key, find });
  }
  return new Sources(key, true, sources);
}

/** A variable read from the environment only. */
export function envVar<G, Given>(variable: string, rule: Rule<G, Given>): Sources<G> {
  return new Sources(variable, false, [fromEnv(variable, variable, variable, rule)]);
}

function fromEnv<G, Given>(
  owner: string,
  variable: string,
  label: string,
  rule: Rule<G, Given>,
): Source<G> {
  const find = ({ env }: Inputs): Candidate<G> | undefined => {
    const text = env[variable];
    if (text === undefined || text === '') return undefined;
    return candidate(label, rule, rule.fromText(text));
  };
  return { owner, find };
}

function candidate<G, Given>(
  label: string,
  rule: Rule<G, Given>,
  given: Given | undefined,
): Candidate<G> | undefined {
  return given === undefined ? undefined : { label, check: () => rule.check(given) };
}

/** Settings grouped the way ClusterConfig groups the values they fill. */
export interface SettingGroup {
  readonly [field: string]: Setting<unknown> | SettingGroup;
}

/** The values a group of settings reads, field by field. */
export type Values<S> = {
  -readonly [K in keyof S]: S[K] extends Setting<infer V> ? V : Values<S[K]>;
};

/**
 * Reads every setting of the group in the order it is declared, throwing at the first bad one,
 * and notes in `labels` which source gave each value (by the setting's first name).
 */
export function readGroup<S extends SettingGroup>(
  group: S,
  inputs: Inputs,
  labels: Map<string, string>,
): Values<S> {
  const values: Record<string, unknown> = {};
  for (const [field, entry] of Object.entries(group)) {
    if (entry instanceof Setting) {
      const found = entry.read(inputs);
      values[field] = found.value;
      labels.set(entry.names[0], found.label);
    } else {
      values[field] = readGroup(entry, inputs, labels);
    }
  }
  // The one assertion of the loader: each field now holds the value its own setting's type says.
  return values as Values<S>;
}

/** Every setting of the group, nested groups included, in declaration order. */
export function settingsIn(group: SettingGroup): Setting<unknown>[] {
  return Object.values(group).flatMap((entry) =>
    entry instanceof Setting ? [entry] : settingsIn(entry),
  );
}
