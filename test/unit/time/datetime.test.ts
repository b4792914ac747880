import assert from 'assert';
import {
  calendarDateIn,
  formatIsoUtc,
  parseIsoDateTime,
  parseIsoDateTimeTolerant,
} from '../../../src/time/datetime';

describe('unit: ISO 8601 date-times', () => {
  it('reads UTC and offset forms to the same instant', () => {
    const utc = Date.UTC(2026, 1, 17, 19, 0, 0);
    assert.strictEqual(parseIsoDateTime('2026-02-17T19:00:00Z'), utc);
    assert.strictEqual(parseIsoDateTime('2026-02-17T11:00:00-08:00'), utc);
    assert.strictEqual(parseIsoDateTime('2026-02-17T20:30:00+0130'), utc);
    assert.strictEqual(parseIsoDateTime('2026-02-17T21:00+02'), utc);
    assert.strictEqual(parseIsoDateTime('2026-02-17t19:00:00z'), utc);
    assert.strictEqual(parseIsoDateTime('2026-02-17 19:00:00Z'), utc);
    assert.strictEqual(parseIsoDateTime('2026-02-17T19:00:00.250Z'), utc + 250);
    assert.strictEqual(parseIsoDateTime('2026-02-17T19:00:00.123456789Z'), utc + 123);
  });

  it('refuses a date-time without a zone (JavaScript would read it as local time)', () => {
    assert.throws(() => parseIsoDateTime('2026-02-17T19:00:00'), /has no time zone/);
    assert.throws(() => parseIsoDateTime('2026-02-17T19:00'), /has no time zone/);
  });

  it('refuses a bare date and anything that is not a date-time', () => {
    assert.throws(() => parseIsoDateTime('2026-02-17'), /is a date, not a date-time/);
    for (const bad of ['tomorrow', '', '17/02/2026 19:00Z', '2026-2-17T19:00:00Z', '2026-02-17T19:00:00ZZ']) {
      assert.throws(() => parseIsoDateTime(bad), /not an ISO 8601 date-time/, bad);
    }
    assert.throws(() => parseIsoDateTime(1771354800000), /must be an ISO 8601 string/);
    assert.throws(() => parseIsoDateTime(null), /must be an ISO 8601 string/);
  });

  it('refuses calendar dates and times that do not exist instead of rolling them over', () => {
    assert.throws(() => parseIsoDateTime('2026-02-30T00:00:00Z'), /day 30/);
    assert.throws(() => parseIsoDateTime('2026-02-29T00:00:00Z'), /day 29/);
    assert.strictEqual(parseIsoDateTime('2028-02-29T00:00:00Z'), Date.UTC(2028, 1, 29));
    assert.throws(() => parseIsoDateTime('2026-13-01T00:00:00Z'), /month 13/);
    assert.throws(() => parseIsoDateTime('2026-00-01T00:00:00Z'), /month 00/);
    assert.throws(() => parseIsoDateTime('2026-02-17T24:00:00Z'), /time of day/);
    assert.throws(() => parseIsoDateTime('2026-02-17T19:60:00Z'), /time of day/);
    assert.throws(() => parseIsoDateTime('2026-02-17T19:00:00+25:00'), /offset/);
  });

  it('formats UTC with Z and without zero milliseconds', () => {
    assert.strictEqual(formatIsoUtc(Date.UTC(2026, 1, 17, 19)), '2026-02-17T19:00:00Z');
    assert.strictEqual(formatIsoUtc(Date.UTC(2026, 1, 17, 19) + 5), '2026-02-17T19:00:00.005Z');
  });

  it('gives the calendar date in a time zone', () => {
    // 05:00 UTC on the 19th is 21:00 on the 18th in California.
    assert.strictEqual(calendarDateIn(Date.UTC(2026, 1, 19, 5), 'America/Los_Angeles'), '2026-02-18');
    assert.strictEqual(calendarDateIn(Date.UTC(2026, 1, 19, 5), 'UTC'), '2026-02-19');
  });

  it('the tolerant reading takes zone-less times as UTC and refuses dates that do not exist', () => {
    const at = Date.UTC(2026, 1, 18, 21, 40, 18);
    assert.throws(() => parseIsoDateTime('2026-02-18 21:40:18'), /no time zone/);
    assert.strictEqual(parseIsoDateTimeTolerant('2026-02-18 21:40:18'), at);
    assert.strictEqual(parseIsoDateTimeTolerant(' 2026-02-18T21:40:18 Z '), at);
    assert.strictEqual(parseIsoDateTimeTolerant('2026-02-18T13:40:18-0800'), at);
    assert.strictEqual(parseIsoDateTimeTolerant('2026-02-18'), Date.UTC(2026, 1, 18));
    assert.strictEqual(parseIsoDateTimeTolerant('2026-02-30T00:00:00Z'), undefined);
    assert.strictEqual(parseIsoDateTimeTolerant('17:15:16'), undefined);
    assert.strictEqual(parseIsoDateTimeTolerant(1771450818000), undefined);
  });
});
