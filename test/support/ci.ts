/**
 * Whether this run is CI. `.ci/run` sets CI=true (when CI has not set it already); as most CI
 * services and tools read it, any value but '', '0' or 'false' counts.
 */
export function inCi(): boolean {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * The one rule for specs that need what a developer's machine may lack (Chromium, root to mount
 * a filesystem): they run where it is there, and always in CI, where its absence must fail the
 * spec rather than skip it. Returns `describe`, or `describe.skip` with the reason in the title.
 */
export function describeNeeding(
  available: boolean,
  missing: string,
): (name: string, body: () => void) => void {
  if (available || inCi()) return describe;
  return (name, body) => describe.skip(`${name} (skipped: ${missing}; CI runs it)`, body);
}
