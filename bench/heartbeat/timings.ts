import { type RollcallTimings, STEADY_TIMINGS } from '../failover/rollcall';

/** leader_term_ms long enough that no load transfer happens mid-run; clients never expire. */
export const HEARTBEAT_TIMINGS: RollcallTimings & { client_timeout_ms: number } = {
  ...STEADY_TIMINGS,
  client_timeout_ms: 600_000,
};
