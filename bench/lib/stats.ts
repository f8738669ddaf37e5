export interface Summary {
  /** Trials that produced a sample. */
  n: number;
  failures: number;
  median: number | null;
  p90: number | null;
  min: number | null;
  max: number | null;
}

/** Quantile with linear interpolation between closest ranks (R type 7, numpy's default). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of nothing');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(samples: number[], failures: number): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) {
    return { n: 0, failures, median: null, p90: null, min: null, max: null };
  }
  return {
    n: sorted.length,
    failures,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

/** `a / b`, or null when either is missing. */
export function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}
