import type { CoreOptions } from '../../../../src/election/consensus/core-options';
/** The election settings a simulated cluster runs with; defaults are config.toml's. */
export type Timing = Pick<
  CoreOptions,
  | 'heartbeatIntervalMs'
  | 'electionTimeoutMinMs'
  | 'electionTimeoutMaxMs'
  | 'leaderTermMs'
  | 'electionRetryMs'
  | 'cpuHysteresisPct'
  | 'leaseSafetyMarginMs'
>;

export const DEFAULT_TIMING: Timing = {
  heartbeatIntervalMs: 1000,
  electionTimeoutMinMs: 3000,
  electionTimeoutMaxMs: 5000,
  leaderTermMs: 10000,
  electionRetryMs: 100,
  cpuHysteresisPct: 10,
  leaseSafetyMarginMs: 300,
};
