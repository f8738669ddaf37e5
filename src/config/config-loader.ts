import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { formatHost } from '../common/address';
import type { ClusterConfig } from './cluster-config';
import { ConfigError } from './config-error';
import { CONFIG_SCHEMA, CROSS_RULES, type Settings } from './config-schema';
import { type Inputs, readGroup, settingsIn } from './setting';
import { tlsFilesOf } from './tls-settings';

export interface ConfigSources {
  /** Path of the TOML file (`--config`). */
  configPath: string;
  /** `--this-node`, which wins over the file and the environment. */
  thisNode?: string;
  /** `--join`, likewise. */
  join?: string;
  env: NodeJS.ProcessEnv;
}

/** The keys config.toml may hold: a typo is refused rather than silently ignored. */
const FILE_KEYS = new Set(
  settingsIn(CONFIG_SCHEMA)
    .filter((s) => s.inFile)
    .map((s) => s.names[0]),
);

/**
 * Reads `config.toml`, overlays the environment (each key in upper case) and `--this-node`,
 * and validates everything against CONFIG_SCHEMA, then CROSS_RULES. Throws a ConfigError naming
 * the file, the key and the problem.
 */
export function loadClusterConfig(src: ConfigSources): ClusterConfig {
  const file = src.configPath;
  const toml = readToml(file);
  // Before any value: a misspelt required key is better reported as unknown than as missing.
  for (const key of Object.keys(toml)) {
    if (!FILE_KEYS.has(key)) throw new ConfigError(file, key, 'unknown key');
  }
  const inputs: Inputs = {
    file,
    toml,
    env: src.env,
    cli: { '--this-node': src.thisNode, '--join': src.join },
  };
  const labels = new Map<string, string>();
  const settings = readGroup(CONFIG_SCHEMA, inputs, labels);
  const labelOf = (key: string): string => labels.get(key) ?? key;
  for (const rule of CROSS_RULES) {
    const broken = rule(settings, labelOf);
    if (broken) throw new ConfigError(file, broken.key, broken.problem);
  }
  return toClusterConfig(file, settings);
}

/** The settings as ClusterConfig, with the defaults that depend on other settings filled in. */
function toClusterConfig(file: string, s: Settings): ClusterConfig {
  const self = s.thisNode;
  const apiTls = tlsFilesOf(s.apiTls);
  return {
    ...s,
    configFile: file,
    thisNode: self.text,
    // The election port binds this_node unless told otherwise, e.g. behind a proxy or NAT.
    electionBind: s.electionBind ?? { host: self.host, port: self.port },
    peerTls: tlsFilesOf(s.peerTls),
    apiTls,
    apiUrl: s.apiUrl ?? `${apiTls ? 'https' : 'http'}://${formatHost(self.host)}:${s.apiPort}`,
    dataDir:
      s.dataDir ??
      join(
        'data',
        self.text.replace(/[:[\]]/g, (c) => (c === ':' ? '-' : '')),
      ),
  };
}

function readToml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = errorCode(err);
    const problem = code === 'ENOENT' ? 'file not found' : `cannot read: ${code ?? String(err)}`;
    throw new ConfigError(file, '(file)', problem);
  }
  try {
    return parseToml(text);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new ConfigError(file, '(file)', `not valid TOML: ${first}`);
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}
