/** Votes (or acknowledgements) needed out of `members`, self included. */
export function majorityOf(members: number): number {
  return Math.floor(members / 2) + 1;
}

/** The k-th largest value (k from 1), or undefined when there are fewer than k values. */
export function kthLargest(values: readonly number[], k: number): number | undefined {
  if (k < 1 || values.length < k) return undefined;
  return [...values].sort((a, b) => b - a)[k - 1];
}
