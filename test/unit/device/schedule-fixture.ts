/** Times and schedule intervals for the device tests, counted in minutes from one fixed start. */

/** The start every device test counts from. */
export const T0 = Date.parse('2026-12-01T00:00:00Z');

/** `m` minutes after T0, in epoch milliseconds. */
export const at = (m: number): number => T0 + m * 60_000;

/** A schedule interval from minute `from` to minute `to` with a CTA-2045 signal. */
export const iv = (from: number, to: number, signal: number) => ({
  start: new Date(at(from)).toISOString(),
  end: new Date(at(to)).toISOString(),
  signal,
});
