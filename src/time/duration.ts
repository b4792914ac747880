/**
 * ISO 8601 durations (`PT1H`, `P1DT12H`, `-PT15M`, `PT0.5S`), parsed strictly.
 *
 * Why our own: a duration decides where every price interval starts, so a loose parser that
 * reads `PT1X` as zero or `P1M` as 30 days would silently shift a whole schedule. This one
 * refuses anything it does not fully understand and says why.
 *
 * Years and months are parsed (so callers can give a precise error) but have no fixed length:
 * `isoDurationToMs` refuses them. Weeks are 7 days and days are 24 hours (the OpenADR reading;
 * a calendar day across a DST change is 23 or 25 hours, which callers needing wall-clock days
 * must handle themselves).
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

const MS = { weeks: 604_800_000, days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000 };

// One number (with an optional decimal fraction, `.` or `,`) per designator, in the fixed order
// Y M W D T H M S. The fraction is only legal on the last component present (checked below).
const DURATION =
  /^([+-])?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/** Parse an ISO 8601 duration. Throws an Error saying what is wrong with `text`. */
export function parseIsoDuration(text: unknown): IsoDuration {
  if (typeof text !== 'string') {
    throw new Error(`a duration must be an ISO 8601 string such as "PT1H", got ${typeof text}`);
  }
  const match = DURATION.exec(text);
  if (!match) throw new Error(`"${text}" is not an ISO 8601 duration (expected e.g. "PT1H" or "P1DT2H")`);
  const parts = match.slice(2);
  if (parts.every((p) => p === undefined)) {
    throw new Error(`"${text}" is not an ISO 8601 duration: it has no components`);
  }
  if (text.endsWith('T')) {
    throw new Error(`"${text}" is not an ISO 8601 duration: "T" must be followed by a time component`);
  }
  const present = parts.map((p, i) => (p === undefined ? -1 : i)).filter((i) => i >= 0);
  const last = present[present.length - 1];
  for (const i of present) {
    if (i !== last && /[.,]/.test(parts[i]!)) {
      throw new Error(
        `"${text}" is not an ISO 8601 duration: only the smallest component may have a fraction`,
      );
    }
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
