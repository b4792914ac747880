/**
 * ISO 8601 / RFC 3339 date-times: one parser, two readings.
 *
 * - `parseIsoDateTime` — strict. Why not `Date.parse`: it reads `2026-02-17T19:00:00` (no zone)
 *   as *local* time, which moves a whole price window by the server's UTC offset without a word,
 *   and it rolls `2026-02-30` over into March. Here a date-time must carry a zone (`Z` or
 *   `±hh:mm`) and every field must exist.
 * - `parseIsoDateTimeTolerant` — what OpenADR servers really send: the reference implementation
 *   stamps `2026-02-18 21:40:18` (no zone: read as UTC, since a server without a zone has no
 *   other reference) or a bare date; anything else (its bare `17:15:16`) is "no time", undefined.
 *   Dates that do not exist are refused by both readings.
 */

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(\s*)([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

type Reading = 'strict' | 'tolerant';

/** The one parser: ms since the epoch, or the reason `text` is not a date-time. */
function readIsoDateTime(text: string, reading: Reading): number | string {
  const m = DATE_TIME.exec(text);
  const strict = reading === 'strict';
  if (!m || (strict && m[8] !== '')) return 'not an ISO 8601 date-time';
  const [, y, mo, d, h, mi = '0', s = '0', frac = '', , zone] = m;
  if (strict && h === undefined) return 'a date, not a date-time';
  if (strict && zone === undefined) return 'no time zone';
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? '0');
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12) return `month ${mo}, which does not exist`;
  const daysInMonth = utc(year, month, 0).getUTCDate();
  if (day < 1 || day > daysInMonth) return `day ${d}, which ${y}-${mo} does not have`;
  if (hour > 23 || minute > 59 || second > 59) return 'a time of day that does not exist';
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const oh = Number(zm[2]);
    const om = Number(zm[3] ?? '0');
    if (oh > 23 || om > 59) return `an offset ${zone} that does not exist`;
    offsetMinutes = (zm[1] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number(`0.${frac || '0'}`) * 1000;
  return utc(year, month - 1, day, hour, minute, second).getTime() + Math.round(ms) - offsetMinutes * 60_000;
}

/** Milliseconds since the epoch for a zoned ISO 8601 date-time. Throws saying what is wrong. */
export function parseIsoDateTime(text: unknown): number {
  if (typeof text !== 'string') {
    throw new Error(
      `a date-time must be an ISO 8601 string such as "2026-02-17T19:00:00Z", got ${typeof text}`,
    );
  }
  const read = readIsoDateTime(text, 'strict');
  if (typeof read === 'number') return read;
  if (read === 'not an ISO 8601 date-time')
    throw new Error(`"${text}" is not an ISO 8601 date-time (expected e.g. "2026-02-17T19:00:00Z")`);
  if (read === 'a date, not a date-time')
    throw new Error(`"${text}" is a date, not a date-time (expected e.g. "2026-02-17T19:00:00Z")`);
  if (read === 'no time zone')
    throw new Error(
      `"${text}" has no time zone: it would be read as local time; add "Z" or an offset such as "-08:00"`,
    );
  throw new Error(`"${text}" has ${read}`);
}

/**
 * Milliseconds since the epoch for a date-time as servers send it (blanks around it, a space
 * before the zone, no zone = UTC, a bare date = its midnight UTC); undefined when `text` is not
 * one, so callers decide whether that matters.
 */
export function parseIsoDateTimeTolerant(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const read = readIsoDateTime(text.trim(), 'tolerant');
  return typeof read === 'number' ? read : undefined;
}

/**
 * ms since the epoch of a date-time read tolerantly, NaN when it is none: a drop-in for
 * `Date.parse` on times this pack wrote or a caller passed, without its local-time reading.
 */
export function instantOf(text: unknown): number {
  return parseIsoDateTimeTolerant(text) ?? NaN;
}

/** The OpenADR "beginning of time" start that means "now" (User Guide 7.3). */
export function isBeginningOfTime(text: unknown): boolean {
  return (
    typeof text === 'string' &&
    /^0001-01-01(?:[T ]00:00(?::00(?:\.0+)?)?)?(?:Z|[+-]00:?00)?$/.test(text.trim())
  );
}

/**
 * Date.UTC for every year: Date.UTC reads years 0–99 as 1900–1999 (so OpenADR's `0001-01-01`
 * would become 1901); setUTCFullYear takes the year as written.
 */
function utc(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  d.setUTCHours(hour, minute, second, 0);
  return d;
}

/** The last instant an ISO 8601 date-time with a four-digit year can name. */
export const LAST_ISO_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** The first: 0000-01-01T00:00:00Z. */
export const FIRST_ISO_MS = utc(0, 0, 1).getTime();

/** An ISO 8601 UTC string with `Z` and no milliseconds unless there are some: `2026-02-17T19:00:00Z`. */
export function formatIsoUtc(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`cannot format ${ms} as a date-time`);
  if (ms > LAST_ISO_MS || ms < FIRST_ISO_MS)
    throw new Error('the time falls outside the years 0000–9999 that an ISO 8601 date-time can write');
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** ms since epoch → ISO 8601 UTC with Z and milliseconds, clamped to 9999 for OpenADR's "infinity". */
export function toIsoUtcClamped(ms: number): string {
  if (!Number.isFinite(ms) || ms > LAST_ISO_MS) return new Date(LAST_ISO_MS).toISOString();
  return new Date(ms).toISOString();
}

/** The calendar date (`YYYY-MM-DD`) of an instant in an IANA time zone, e.g. America/Los_Angeles. */
export function calendarDateIn(ms: number, timeZone: string): string {
  const parts = dateFormatFor(timeZone).formatToParts(new Date(ms));
  const get = (type: string): string => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

// Building an Intl.DateTimeFormat costs ~100 µs; keep one per zone.
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormatFor(timeZone: string): Intl.DateTimeFormat {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dateFormats.set(timeZone, format);
  }
  return format;
}
