import type { ClusterConfig } from '../config/cluster-config';
import type { CoreOptions } from './consensus/core-options';

/** The core's timing and load settings, from the cluster's configuration. */
export function coreSettings(
  c: ClusterConfig,
): Omit<CoreOptions, 'id' | 'peers' | 'random' | 'initial' | 'now'> {
  return {
    heartbeatIntervalMs: c.heartbeatIntervalMs,
    electionTimeoutMinMs: c.electionTimeoutMinMs,
    electionTimeoutMaxMs: c.electionTimeoutMaxMs,
    leaderTermMs: c.leaderTermMs,
    electionRetryMs: c.electionRetryMs,
    cpuHysteresisPct: c.cpuHysteresisPct,
    leaseSafetyMarginMs: leaseSafetyMargin(c),
  };
}

/**
 * Room for clock-rate differences and scheduling delay between nodes: the lease is the minimum
 * election timeout less this, so a leader stops serving before any follower may vote it out.
 */
function leaseSafetyMargin(c: ClusterConfig): number {
  return Math.max(
    1,
    Math.min(c.electionTimeoutMinMs - 1, Math.round(c.electionTimeoutMinMs * 0.15)),
  );
}
