/**
 * Prints the config.toml of bench/profile/profile-leader.sh's cluster: the heartbeat bench's
 * timings, written by the same function as every bench cluster's.
 *   node .bench-build/bench/profile/cluster-config.js ID0 ID1 ID2 > config.toml
 */
import { HEARTBEAT_TIMINGS } from '../heartbeat/timings';
import { benchClusterToml } from '../failover/rollcall';

const ids = process.argv.slice(2);
if (ids.length === 0) throw new Error('usage: cluster-config.js HOST:PORT ...');
process.stdout.write(benchClusterToml(ids, HEARTBEAT_TIMINGS));
