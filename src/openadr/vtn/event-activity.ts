/**
 * Whether an event is active at a moment (the `active` list filter): from its interval period and
 * its intervals' own periods, with ISO 8601 durations of fixed length.
 */
import { instantOf } from '../../time/datetime';
import { isoDurationToMs } from '../../time/duration';
import { isPlainObject } from './target-match';

type Json = Record<string, unknown>;

/**
 * True when an event's time span covers `now`: from intervalPeriod.start (0001-01-01 means
 * "now") for the intervals' total duration, or to the latest end of an interval's own period;
 * an event without a usable start or duration counts as active.
 */
export function eventActiveAt(body: Json, now: number): boolean {
  const period = isPlainObject(body.intervalPeriod) ? body.intervalPeriod : {};
  const startText = typeof period.start === 'string' ? period.start : undefined;
  const start = startText === undefined || startText.startsWith('0001-01-01') ? now : instantOf(startText);
  const intervals = Array.isArray(body.intervals) ? (body.intervals as Json[]) : [];
  let end = -Infinity;
  let open = false;
  const span = (from: number, duration: unknown, count: number): void => {
    if (typeof duration !== 'string' || /^P9999Y/.test(duration)) {
      open = true;
      return;
    }
    try {
      end = Math.max(end, from + isoDurationToMs(duration) * count);
    } catch {
      open = true; // years/months: no fixed length; treat as open rather than guess
    }
  };
  let ownPeriods = 0;
  for (const iv of intervals) {
    const ip = isPlainObject(iv) && isPlainObject(iv.intervalPeriod) ? iv.intervalPeriod : undefined;
    if (!ip) continue;
    ownPeriods++;
    const s =
      typeof ip.start === 'string' && !ip.start.startsWith('0001-01-01') ? instantOf(ip.start) : start;
    span(s, ip.duration ?? period.duration, 1);
  }
  if (ownPeriods < intervals.length || intervals.length === 0)
    span(start, period.duration, Math.max(1, intervals.length));
  if (Number.isNaN(start) || start > now) return false;
  return open || now < end;
}
