/**
 * `new Date(ms).toISOString()` for many instants close together, as /discover writes one per
 * online client: the part to the second is formatted once per second and reused, and only the
 * milliseconds are written per instant. A Date formatted per client was a large part of a
 * /discover answer's time (docs/BENCHMARKS.md, "`/discover` from short-lived views").
 */
export class IsoTimes {
  private second = NaN;
  /** `YYYY-MM-DDTHH:MM:SS` of `second`. */
  private prefix = '';

  format(ms: number): string {
    // As Date does: a time value is truncated to a whole millisecond.
    const t = Math.trunc(ms);
    const second = Math.floor(t / 1000);
    if (second !== this.second) {
      const iso = new Date(second * 1000).toISOString();
      // Years outside 0000-9999 are written with six digits and a sign: not worth a cache.
      if (iso.length !== 24) return new Date(t).toISOString();
      this.second = second;
      this.prefix = iso.slice(0, 19);
    }
    const millis = t - second * 1000;
    return `${this.prefix}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  }
}
