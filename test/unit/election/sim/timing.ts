/** The election settings a simulated cluster runs with; defaults are config.toml's. */
export interface Timing {
  heartbeatIntervalMs: number;
  electionTimeoutMinMs: number;
  electionTimeoutMaxMs: number;
  leaderTermMs: number;
  electionRetryMs: number;
  cpuHysteresisPct: number;
  leaseSafetyMarginMs: number;
}

export const DEFAULT_TIMING: Timing = {
  heartbeatIntervalMs: 1000,
  electionTimeoutMinMs: 3000,
  electionTimeoutMaxMs: 5000,
  leaderTermMs: 10000,
  electionRetryMs: 100,
  cpuHysteresisPct: 10,
  leaseSafetyMarginMs: 300,
};
