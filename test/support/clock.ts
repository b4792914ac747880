/**
 * The start for a test's price event: a minute ago, to the second. Not the top of the hour: a
 * test that creates an event and then reads the current interval must not see the next one (or
 * none) because the clock crossed an hour in between. The full suite takes longer than an hour
 * on CI, so some test always runs across one.
 */
export function recentStart(): number {
  return Math.floor((Date.now() - 60_000) / 1000) * 1000;
}

/** recentStart() as an ISO 8601 timestamp. */
export function recentStartIso(): string {
  return new Date(recentStart()).toISOString();
}
