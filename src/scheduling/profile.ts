/**
 * Hot-water draw forecasts: thermal kWh drawn in each interval of a timeline.
 * 'flat' spreads the daily draw evenly; 'residential' follows a typical household's day (morning
 * and evening peaks, little at night), by the local hour of the heater's time zone.
 */
import { instantOf } from '../time/datetime';

export type DrawProfileName = 'flat' | 'residential';

/**
 * Share of a day's hot-water draw in each local hour 0–23: a typical residential shape (morning
 * showers 6–9, a smaller midday plateau, the evening peak 18–21). Sums to 1.
 */
export const RESIDENTIAL_DRAW_SHAPE: readonly number[] = normalise([
  0.012, 0.007, 0.005, 0.005, 0.008, 0.025, 0.065, 0.09, 0.08, 0.06, 0.045, 0.04, 0.038, 0.034, 0.03, 0.03,
  0.036, 0.05, 0.068, 0.075, 0.07, 0.058, 0.042, 0.027,
]);

function normalise(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

const SLICE_MS = 15 * 60_000;
const hourFormatters = new Map<string, Intl.DateTimeFormat>();

/** Local hour (0–23) of a moment in an IANA time zone (undefined: this process's zone). */
export function localHour(ms: number, timeZone?: string): number {
  if (!timeZone) return new Date(ms).getHours();
  let f = hourFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: 'numeric', hourCycle: 'h23' });
    hourFormatters.set(timeZone, f);
  }
  return Number(f.format(new Date(ms))) % 24;
}

/** Throws a clear error for a time zone name Intl does not know. */
export function checkTimeZone(timeZone: string | undefined): void {
  if (!timeZone) return;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
  } catch {
    throw new Error(`timeZone "${timeZone}" is not a known IANA time zone (e.g. America/Los_Angeles)`);
  }
}

/**
 * Thermal draw (kWh) in each interval [start, end) for a daily draw of `dailyKwh`.
 * The residential shape is integrated in 15-minute slices (every time zone's offset is a multiple
 * of 15 minutes), so any interval length works.
 */
export function drawForIntervals(
  intervals: ReadonlyArray<{ start: string; end: string }>,
  profile: DrawProfileName,
  dailyKwh: number,
  timeZone?: string,
): number[] {
  if (!(Number.isFinite(dailyKwh) && dailyKwh >= 0))
    throw new Error(`daily draw must be a number >= 0, got ${dailyKwh}`);
  if (profile !== 'flat' && profile !== 'residential') {
    throw new Error(`draw profile must be "flat" or "residential", got ${JSON.stringify(profile)}`);
  }
  checkTimeZone(timeZone);
  return intervals.map(({ start, end }) => {
    const a = instantOf(start);
    const b = instantOf(end);
    if (profile === 'flat') return (dailyKwh * (b - a)) / 86_400_000;
    let kwh = 0;
    for (let t = a; t < b;) {
      const sliceEnd = Math.min(b, (Math.floor(t / SLICE_MS) + 1) * SLICE_MS);
      const share = RESIDENTIAL_DRAW_SHAPE[localHour(t, timeZone)];
      kwh += (dailyKwh * share * (sliceEnd - t)) / 3_600_000;
      t = sliceEnd;
    }
    return kwh;
  });
}
