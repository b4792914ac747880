/**
 * ISO 8601 durations and date-times as OpenADR 3 servers really send them.
 *
 * Why tolerant: the spec's pattern allows `PT1H`, but openleadr-rs sends `P0Y0M0DT1H0M0S`, the
 * reference implementation stamps `createdDateTime` as `2026-02-18 21:40:18` (no zone, space
 * separator) or even a bare `17:15:16`, and `P9999Y` means "infinity" (User Guide 7.3).
 */

export interface ParsedDuration {
  /** -1 or 1. */
  sign: number;
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  /** True for the OpenADR "infinity" duration P9999Y (and anything at least that long). */
  infinite: boolean;
}

const DURATION_RE =
  /^(-)?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i;

/** Parse an ISO 8601 duration; throws an Error naming `field` when it is not one. */
export function parseDuration(text: unknown, field = 'duration'): ParsedDuration {
  if (typeof text !== 'string')
    throw new Error(`${field} must be an ISO 8601 duration string, got ${JSON.stringify(text)}`);
  const trimmed = text.trim();
  const m = DURATION_RE.exec(trimmed);
  // "P" or "PT" alone match the pattern with no parts: reject them.
  if (!m || /^-?PT?$/i.test(trimmed)) {
    throw new Error(`${field} is not an ISO 8601 duration: ${JSON.stringify(text)}`);
  }
  const n = (s: string | undefined): number => (s ? Number(s.replace(',', '.')) : 0);
  const years = n(m[2]);
  return {
    sign: m[1] ? -1 : 1,
    years,
    months: n(m[3]),
    weeks: n(m[4]),
    days: n(m[5]),
    hours: n(m[6]),
    minutes: n(m[7]),
    seconds: n(m[8]),
    infinite: years >= 9999,
  };
}

/** True when `text` is the OpenADR "infinity" duration (P9999Y or longer). */
export function isInfiniteDuration(text: unknown): boolean {
  try {
    return parseDuration(text).infinite;
  } catch {
    return false;
  }
}

/**
 * Add a duration to an instant (ms since epoch). Years, months and days are calendar units
 * applied in UTC (a day is 24 h: OpenADR times are absolute, so a "P1D" from local midnight
 * lands at the same UTC clock time); hours, minutes and seconds are exact. Returns +Infinity
 * for P9999Y.
 */
export function addDuration(startMs: number, duration: ParsedDuration): number {
  if (duration.infinite) return duration.sign > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  const d = new Date(startMs);
  const s = duration.sign;
  const wholeYears = Math.trunc(duration.years);
  const wholeMonths = Math.trunc(duration.months);
  if (wholeYears || wholeMonths)
    d.setUTCFullYear(d.getUTCFullYear() + s * wholeYears, d.getUTCMonth() + s * wholeMonths);
  const fractionalMs =
    (duration.years - wholeYears) * 365.25 * 86400000 +
    (duration.months - wholeMonths) * 30.436875 * 86400000;
  const exactMs =
    fractionalMs +
    (duration.weeks * 7 + duration.days) * 86400000 +
    duration.hours * 3600000 +
    duration.minutes * 60000 +
    duration.seconds * 1000;
  return d.getTime() + s * exactMs;
}

/** Length of a duration in ms when applied at `startMs` (calendar units depend on the start). */
export function durationMs(duration: ParsedDuration, startMs: number): number {
  return addDuration(startMs, duration) - startMs;
}

/** Format ms as a compact ISO 8601 duration (PT…H…M…S), for building events and reports. */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'P9999Y';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3600000);
  rest -= h * 3600000;
  const m = Math.floor(rest / 60000);
  rest -= m * 60000;
  const sec = rest / 1000;
  let out = `${sign}PT`;
  if (h) out += `${h}H`;
  if (m) out += `${m}M`;
  if (sec || (!h && !m)) out += `${Number(sec.toFixed(3))}S`;
  return out;
}

/** The OpenADR "beginning of time" start that means "now" (User Guide 7.3). */
export function isBeginningOfTime(text: unknown): boolean {
  return (
    typeof text === 'string' &&
    /^0001-01-01(?:[T ]00:00(?::00(?:\.0+)?)?)?(?:Z|[+-]00:?00)?$/.test(text.trim())
  );
}

/**
 * Parse a date-time the way real servers send it. Zone-less values (`2026-02-18 21:40:18`,
 * `2026-02-18T21:40:18`) are read as UTC, since a server without a zone has no other reference.
 * Returns undefined when the text is not a date-time (e.g. the reference implementation's bare
 * `17:15:16`), so callers decide whether that matters.
 */
export function parseDateTime(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const t = text.trim();
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(t);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? frac.slice(0, 4) : ''}${
    zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone
  }`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse maps years 0-99 into the 1900s for some formats; the ISO form above keeps 0001.
  return ms;
}

/** ms since epoch → ISO 8601 UTC with Z, clamped to four-digit years for "infinity". */
export function toIsoUtc(ms: number): string {
  const MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  if (!Number.isFinite(ms) || ms > MAX) return new Date(MAX).toISOString();
  return new Date(ms).toISOString();
}
