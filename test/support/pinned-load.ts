/**
 * The machine load (CPU_LOAD_FILE) a test node reports unless its test sets another. A test's
 * nodes share one machine, so measured loads would differ mostly by when each node took its
 * sample; on a busy host that noise passes the hysteresis now and then, and at a leader_term_ms
 * boundary it moves leadership "for load" in the middle of a test about something else. Each
 * node's own CPU share is still taken off the pinned figure (docs/testing.md).
 */
export const PINNED_LOAD = 50;
