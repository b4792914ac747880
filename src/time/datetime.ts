/**
 * ISO 8601 / RFC 3339 date-times, parsed strictly.
 *
 * Why not `Date.parse`: it reads `2026-02-17T19:00:00` (no zone) as *local* time, which moves a
 * whole price window by the server's UTC offset without a word, and it rolls `2026-02-30` over
 * into March. Here a date-time must carry a zone (`Z` or `±hh:mm`) and every field must exist.
 */

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/** Milliseconds since the epoch for a zoned ISO 8601 date-time. Throws saying what is wrong. */
export function parseIsoDateTime(text: unknown): number {
  if (typeof text !== 'string') {
    throw new Error(
      `a date-time must be an ISO 8601 string such as "2026-02-17T19:00:00Z", got ${typeof text}`,
    );
  }
  const m = DATE_TIME.exec(text);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
      throw new Error(`"${text}" is a date, not a date-time (expected e.g. "2026-02-17T19:00:00Z")`);
    }
    throw new Error(`"${text}" is not an ISO 8601 date-time (expected e.g. "2026-02-17T19:00:00Z")`);
  }
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  if (zone === undefined) {
    throw new Error(
      `"${text}" has no time zone: it would be read as local time; add "Z" or an offset such as "-08:00"`,
    );
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12) throw new Error(`"${text}" has month ${mo}, which does not exist`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) throw new Error(`"${text}" has day ${d}, which ${y}-${mo} does not have`);
  if (hour > 23 || minute > 59 || second > 59)
    throw new Error(`"${text}" has a time of day that does not exist`);
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const oh = Number(zm[2]);
    const om = Number(zm[3] ?? '0');
    if (oh > 23 || om > 59) throw new Error(`"${text}" has an offset ${zone} that does not exist`);
    offsetMinutes = (zm[1] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number(`0.${frac || '0'}`) * 1000;
  return Date.UTC(year, month - 1, day, hour, minute, second) + Math.round(ms) - offsetMinutes * 60_000;
}

/** An ISO 8601 UTC string with `Z` and no milliseconds unless there are some: `2026-02-17T19:00:00Z`. */
export function formatIsoUtc(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`cannot format ${ms} as a date-time`);
  return new Date(ms).toISOString().replace('.000Z', 'Z');
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
