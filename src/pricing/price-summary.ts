/** Small facts about a price window: a one-line summary, the next fetch time, sample shifting. */
import { calendarDateIn, formatIsoUtc, instantOf } from '../time/datetime';
import { OLIVINE_TIME_ZONE, OlivinePrices } from './olivine';

const HOUR = 3_600_000;

/** The pieces of the summary, for callers that word it themselves (a node in the user's language). */
export interface PriceWindowParts {
  /** `24 h` (two decimals when the window is not whole hours). */
  span: string;
  /** Start in UTC as `MM-DD HH:MM`. */
  at: string;
  /** Lowest and highest price, rounded to 3 decimals. */
  low: string;
  high: string;
}

export function priceWindowParts(
  prices: Pick<OlivinePrices, 'start' | 'end' | 'intervals'>,
): PriceWindowParts {
  const startMs = instantOf(prices.start);
  const hours = (instantOf(prices.end) - startMs) / HOUR;
  const values = prices.intervals.map((i) => i.price);
  return {
    span: Number.isInteger(hours) ? `${hours} h` : `${hours.toFixed(2)} h`,
    at: formatIsoUtc(startMs).slice(5, 16).replace('T', ' '),
    low: round(Math.min(...values)),
    high: round(Math.max(...values)),
  };
}

/**
 * `24 h from 02-19 05:00Z, 0.109–0.127 USD/kWh` (or without ` from …` when `withStart` is false):
 * short enough for a node status.
 */
export function describePriceWindow(
  prices: Pick<OlivinePrices, 'start' | 'end' | 'intervals'>,
  { withStart = true } = {},
): string {
  const { span, at, low, high } = priceWindowParts(prices);
  return `${span}${withStart ? ` from ${at}Z` : ''}, ${low}–${high} USD/kWh`;
}

function round(price: number): string {
  return String(Number(price.toFixed(3)));
}

/**
 * Milliseconds from `nowMs` until the next time the UTC clock reads `minute` minutes past the
 * hour (strictly later than now). Olivine publishes on the hour; fetching a few minutes after
 * gives it time to publish without leaving stale prices for long.
 */
export function msUntilMinutePastHour(nowMs: number, minute: number): number {
  if (!Number.isInteger(minute) || minute < 0 || minute > 59) {
    throw new Error(`minute past the hour must be a whole number 0–59, got ${minute}`);
  }
  const hourStart = Math.floor(nowMs / HOUR) * HOUR;
  let next = hourStart + minute * 60_000;
  if (next <= nowMs) next += HOUR;
  return next - nowMs;
}

/**
 * The same prices moved in time so the window starts at `startMs` (the demo's offline fallback:
 * yesterday's sample shaped like a live window, so the scheduler has upcoming hours to plan).
 * The eventID becomes `sample-<Pacific date>` and a warning records the move.
 */
export function shiftPricesTo(prices: OlivinePrices, startMs: number): OlivinePrices {
  const delta = startMs - instantOf(prices.start);
  const move = (iso: string): string => formatIsoUtc(instantOf(iso) + delta);
  const intervals = prices.intervals.map((i) => ({ start: move(i.start), end: move(i.end), price: i.price }));
  const { openadr: _passthrough, ...rest } = prices;
  return {
    ...rest,
    shape: prices.shape,
    eventID: `sample-${calendarDateIn(startMs, OLIVINE_TIME_ZONE)}`,
    start: intervals[0].start,
    end: intervals[intervals.length - 1].end,
    intervals,
    warnings: [
      ...prices.warnings,
      `sample prices from ${prices.start} moved to start at ${intervals[0].start}`,
    ],
  };
}

/** The start of the hour containing `nowMs`. */
export function startOfHour(nowMs: number): number {
  return Math.floor(nowMs / HOUR) * HOUR;
}
