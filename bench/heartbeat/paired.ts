import { quantile } from '../lib/stats';

/** The spread of ratios each taken within one round: median, least and greatest. */
export interface PairedRatios {
  median: number;
  min: number;
  max: number;
  /** Rounds in which both series ran. */
  rounds: number;
}

/**
 * `top / bottom` within each round number, for every round that has both. The series of one
 * round run back to back, so each ratio compares them at the same speed of the machine: on
 * this VM class that speed moved 1.7x between the rounds of one run and 2x within an hour
 * (docs/BENCHMARKS.md, "How fast the machine itself is"), and a ratio of two medians taken
 * from different rounds carries the drift in full. Null when no round has both.
 */
export function pairedRatios<R extends { round: number }>(
  rounds: readonly R[],
  top: (r: R) => number | null,
  bottom: (r: R) => number | null,
): PairedRatios | null {
  const ratios: number[] = [];
  for (const round of new Set(rounds.map((r) => r.round))) {
    const inRound = rounds.filter((r) => r.round === round);
    const t = firstValue(inRound, top);
    const b = firstValue(inRound, bottom);
    if (t !== null && b !== null && b > 0) ratios.push(t / b);
  }
  if (ratios.length === 0) return null;
  ratios.sort((a, b) => a - b);
  return {
    median: quantile(ratios, 0.5),
    min: ratios[0],
    max: ratios[ratios.length - 1],
    rounds: ratios.length,
  };
}

/** Greatest over least of a series' values: how far one series moved between its own rounds. */
export function spreadOf(values: readonly number[]): number | null {
  const positive = values.filter((v) => v > 0);
  if (positive.length < 2) return null;
  return Math.max(...positive) / Math.min(...positive);
}

/** As `m x (rounds least–greatest x, n rounds)`, or '-' when there is none. */
export function pairedLine(p: PairedRatios | null): string {
  if (!p) return '-';
  return `${p.median.toFixed(2)}x (rounds ${p.min.toFixed(2)}–${p.max.toFixed(2)}x, ${p.rounds} rounds)`;
}

function firstValue<R>(rounds: readonly R[], pick: (r: R) => number | null): number | null {
  for (const r of rounds) {
    const v = pick(r);
    if (v !== null) return v;
  }
  return null;
}
