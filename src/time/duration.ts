/**
 * ISO 8601 durations (`PT1H`, `P1DT12H`, `-PT15M`, `PT0.5S`): one parser, two readings.
 *
 * - `parseIsoDuration` — the strict reading, for what this pack's users type and what price
 *   feeds must get right: a duration decides where every price interval starts, so a loose
 *   parser that reads `PT1X` as zero or `P1M` as 30 days would silently shift a whole schedule.
 *   It refuses anything it does not fully understand and says why.
 * - `parseIsoDurationTolerant` — the reading for what OpenADR servers really send: surrounding
 *   blanks, lower case, a fraction on any component (openleadr-rs sends `P0Y0M0DT1H0M0S`, others
 *   `PT1.0H0M`), and `P9999Y` marked as the OpenADR "infinity" (User Guide 7.3).
 *
 * Years and months are parsed (so callers can give a precise error) but have no fixed length:
 * `isoDurationToMs` refuses them and `addIsoDuration` counts them on the calendar. Weeks are 7
 * days and days are 24 hours (the OpenADR reading; a calendar day across a DST change is 23 or 25
 * hours, which callers needing wall-clock days must handle themselves).
 */

export interface IsoDuration {
  /** A leading `-` (ISO 8601-2 / OpenADR allow it). */
  negative: boolean;
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** The tolerant reading also says whether the duration is OpenADR's "infinity". */
export interface TolerantIsoDuration extends IsoDuration {
  /** True for P9999Y (and anything at least that long). */
  infinite: boolean;
}

const MS = { weeks: 604_800_000, days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000 };

// One number (with an optional decimal fraction, `.` or `,`) per designator, in the fixed order
// Y M W D T H M S.
const DURATION =
  /^([+-])?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

type Reading = 'strict' | 'tolerant';

/** The one parser: a duration, or the reason `text` is not one. */
function readIsoDuration(text: string, reading: Reading): IsoDuration | string {
  const match = DURATION.exec(text);
  if (!match) return 'not an ISO 8601 duration';
  const parts = match.slice(2);
  if (parts.every((p) => p === undefined)) return 'it has no components';
  if (text.endsWith('T')) return '"T" must be followed by a time component';
  if (reading === 'strict') {
    // ISO 8601 allows a fraction only on the last component present.
    const present = parts.map((p, i) => (p === undefined ? -1 : i)).filter((i) => i >= 0);
    const last = present[present.length - 1];
    if (present.some((i) => i !== last && /[.,]/.test(parts[i]!)))
      return 'only the smallest component may have a fraction';
  }
  const num = (p: string | undefined): number => (p === undefined ? 0 : Number(p.replace(',', '.')));
  return {
    negative: match[1] === '-',
    years: num(parts[0]),
    months: num(parts[1]),
    weeks: num(parts[2]),
    days: num(parts[3]),
    hours: num(parts[4]),
    minutes: num(parts[5]),
    seconds: num(parts[6]),
  };
}

/** Parse an ISO 8601 duration strictly. Throws an Error saying what is wrong with `text`. */
export function parseIsoDuration(text: unknown): IsoDuration {
  if (typeof text !== 'string') {
    throw new Error(`a duration must be an ISO 8601 string such as "PT1H", got ${typeof text}`);
  }
  const read = readIsoDuration(text, 'strict');
  if (typeof read !== 'string') return read;
  if (read === 'not an ISO 8601 duration')
    throw new Error(`"${text}" is not an ISO 8601 duration (expected e.g. "PT1H" or "P1DT2H")`);
  throw new Error(`"${text}" is not an ISO 8601 duration: ${read}`);
}

/**
 * Parse an ISO 8601 duration as servers send it (blanks, lower case, a fraction anywhere).
 * Throws an Error naming `field` when the text is not a duration at all.
 */
export function parseIsoDurationTolerant(text: unknown, field = 'duration'): TolerantIsoDuration {
  if (typeof text !== 'string')
    throw new Error(`${field} must be an ISO 8601 duration string, got ${JSON.stringify(text)}`);
  const read = readIsoDuration(text.trim().toUpperCase(), 'tolerant');
  if (typeof read === 'string')
    throw new Error(`${field} is not an ISO 8601 duration: ${JSON.stringify(text)}`);
  return { ...read, infinite: read.years >= 9999 };
}

/** True when `text` is the OpenADR "infinity" duration (P9999Y or longer). */
export function isInfiniteDuration(text: unknown): boolean {
  try {
    return parseIsoDurationTolerant(text).infinite;
  } catch {
    return false;
  }
}

/**
 * The length of a duration in milliseconds (negative for `-P…`). Throws for years and months,
 * whose length depends on the calendar date they are counted from.
 */
export function isoDurationToMs(duration: IsoDuration | string): number {
  const d = typeof duration === 'string' ? parseIsoDuration(duration) : duration;
  if (d.years || d.months) {
    throw new Error(
      'durations in years or months have no fixed length (use days, hours, minutes or seconds)',
    );
  }
  const ms =
    d.weeks * MS.weeks +
    d.days * MS.days +
    d.hours * MS.hours +
    d.minutes * MS.minutes +
    d.seconds * MS.seconds;
  return d.negative ? -ms : ms;
}

/**
 * Add a duration to an instant (ms since epoch). Years, months and days are calendar units
 * applied in UTC (a day is 24 h: OpenADR times are absolute, so a "P1D" from local midnight
 * lands at the same UTC clock time); hours, minutes and seconds are exact. ±Infinity for the
 * OpenADR "infinity" (P9999Y).
 */
export function addIsoDuration(startMs: number, duration: IsoDuration): number {
  const s = duration.negative ? -1 : 1;
  if (duration.years >= 9999) return s * Number.POSITIVE_INFINITY;
  const d = new Date(startMs);
  const wholeYears = Math.trunc(duration.years);
  const wholeMonths = Math.trunc(duration.months);
  if (wholeYears || wholeMonths)
    d.setUTCFullYear(d.getUTCFullYear() + s * wholeYears, d.getUTCMonth() + s * wholeMonths);
  const fractionalMs =
    (duration.years - wholeYears) * 365.25 * MS.days + (duration.months - wholeMonths) * 30.436875 * MS.days;
  const exactMs =
    fractionalMs +
    duration.weeks * MS.weeks +
    duration.days * MS.days +
    duration.hours * MS.hours +
    duration.minutes * MS.minutes +
    duration.seconds * MS.seconds;
  return d.getTime() + s * exactMs;
}

/** Length of a duration in ms when applied at `startMs` (calendar units depend on the start). */
export function durationMsAt(duration: IsoDuration, startMs: number): number {
  return addIsoDuration(startMs, duration) - startMs;
}

/**
 * Format milliseconds as an ISO 8601 duration in hours, minutes and seconds (`PT1H`, `PT13H`,
 * `PT1H30M`, `PT0S`): the form OpenADR examples use, and free of the day/DST ambiguity.
 */
export function formatIsoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`cannot format ${ms} ms as a duration`);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const hours = Math.floor(rest / MS.hours);
  rest -= hours * MS.hours;
  const minutes = Math.floor(rest / MS.minutes);
  rest -= minutes * MS.minutes;
  const seconds = rest / 1000;
  let out = 'PT';
  if (hours) out += `${hours}H`;
  if (minutes) out += `${minutes}M`;
  if (seconds || out === 'PT') out += `${Number(seconds.toFixed(3))}S`;
  return sign + out;
}

/** As `formatIsoDuration`, with an unbounded length written as OpenADR's "infinity", P9999Y. */
export function formatIsoDurationOrInfinity(ms: number): string {
  return Number.isFinite(ms) ? formatIsoDuration(ms) : 'P9999Y';
}
