/**
 * "850 ms", "12.3 s", "4 min": an age short enough to read at a glance.
 *
 * @param {number | null} ms
 * @returns {string}
 */
export function age(ms) {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min`;
}

/**
 * @param {number | null} value
 * @returns {string}
 */
export function percent(value) {
  return value === null ? '—' : `${Math.round(value)} %`;
}

/**
 * Local time of day: the feed covers minutes, so the date is noise.
 *
 * @param {string} iso
 * @returns {string}
 */
export function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour12: false });
}
