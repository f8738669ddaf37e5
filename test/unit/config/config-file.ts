import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusterConfig } from '../../../src/config/config-loader';
import { makeTempDir } from '../../support/temp-dir';

/** The seed's config.toml: three nodes and its timings. */
export const SEED = `this_node = "127.0.0.1:8080"
peers = ["127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:8082"]
heartbeat_interval_ms = 1000
election_timeout_min_ms = 3000
election_timeout_max_ms = 5000
leader_term_ms = 10000
net_timeout_ms = 2000
cpu_refresh_ms = 500
election_retry_ms = 100
`;

/**
 * For a describe block: a temp directory per test (`dir()`), `write(text)` puts `text` there as
 * config.toml and returns its path, `load(text, env, thisNode)` reads a config from it.
 */
export function useConfigFile() {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (tmp = makeTempDir()));
  afterEach(() => tmp.cleanup());

  const write = (text: string): string => {
    const file = join(tmp.dir, 'config.toml');
    writeFileSync(file, text);
    return file;
  };
  const load = (text: string, env: NodeJS.ProcessEnv = {}, thisNode?: string) =>
    loadClusterConfig({ configPath: write(text), env, thisNode });
  return { dir: () => tmp.dir, write, load };
}
