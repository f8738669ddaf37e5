/** Monotonic milliseconds in the runner process: every recorded time is on this one clock. */
export const now = (): number => performance.now();

/** A pause for pacing the schedule and the workload; never used to wait for a condition. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
