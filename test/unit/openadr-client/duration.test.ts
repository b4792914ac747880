import assert from 'assert';
import {
  addDuration,
  formatDurationMs,
  isBeginningOfTime,
  isInfiniteDuration,
  normalizeEvent,
  normalizeProgram,
  parseDateTime,
  parseDuration,
} from '../../../src/openadr/client';

describe('durations, date-times and tolerant normalisation', () => {
  const t0 = Date.parse('2026-01-31T00:00:00Z');

  it('parses short and openleadr-rs long-form durations to the same length', () => {
    for (const text of ['PT1H', 'P0Y0M0DT1H0M0S', 'PT60M', 'PT3600S', 'PT1.0H', 'PT1H0M0.000S']) {
      assert.strictEqual(addDuration(t0, parseDuration(text)) - t0, 3600000, text);
    }
    assert.strictEqual(addDuration(t0, parseDuration('P1W')) - t0, 7 * 86400000);
    assert.strictEqual(addDuration(t0, parseDuration('-PT15M')) - t0, -900000);
  });

  it('months and years are calendar units; days are 24 h in UTC', () => {
    assert.strictEqual(
      new Date(addDuration(t0, parseDuration('P1M'))).toISOString(),
      '2026-03-03T00:00:00.000Z',
    );
    assert.strictEqual(
      new Date(addDuration(t0, parseDuration('P1Y'))).toISOString(),
      '2027-01-31T00:00:00.000Z',
    );
    const dst = Date.parse('2026-03-08T08:00:00Z');
    assert.strictEqual(addDuration(dst, parseDuration('P1D')) - dst, 24 * 3600000);
  });

  it('P9999Y is infinity', () => {
    assert.strictEqual(parseDuration('P9999Y').infinite, true);
    assert.strictEqual(addDuration(t0, parseDuration('P9999Y')), Infinity);
    assert.strictEqual(isInfiniteDuration('P9999Y'), true);
    assert.strictEqual(isInfiniteDuration('P99Y'), false);
    assert.strictEqual(isInfiniteDuration(7), false);
  });

  it('rejects what is not a duration, naming the field', () => {
    for (const bad of ['', 'P', 'PT', '1H', 'PT1X', 'one hour']) {
      assert.throws(
        () => parseDuration(bad, 'intervals[2].intervalPeriod.duration'),
        /intervals\[2\]\.intervalPeriod\.duration is not an ISO 8601 duration/,
        bad,
      );
    }
    assert.throws(() => parseDuration(3600), /duration must be an ISO 8601 duration string, got 3600/);
  });

  it('formats ms as a duration', () => {
    assert.strictEqual(formatDurationMs(3600000), 'PT1H');
    assert.strictEqual(formatDurationMs(5400500), 'PT1H30M0.5S');
    assert.strictEqual(formatDurationMs(0), 'PT0S');
    assert.strictEqual(formatDurationMs(Infinity), 'P9999Y');
  });

  it('reads zone-less, offset and date-only times; refuses time-only stamps', () => {
    assert.strictEqual(parseDateTime('2026-02-18 21:40:18'), Date.parse('2026-02-18T21:40:18Z'));
    assert.strictEqual(parseDateTime('2026-02-18T21:40:18'), Date.parse('2026-02-18T21:40:18Z'));
    assert.strictEqual(parseDateTime('2026-02-18T13:40:18-08:00'), Date.parse('2026-02-18T21:40:18Z'));
    assert.strictEqual(parseDateTime('2026-02-18T13:40:18.250-0800'), Date.parse('2026-02-18T21:40:18.250Z'));
    assert.strictEqual(parseDateTime('2026-02-18'), Date.parse('2026-02-18T00:00:00Z'));
    assert.strictEqual(
      parseDateTime('17:15:16'),
      undefined,
      'the reference implementation sometimes sends only a time',
    );
    assert.strictEqual(parseDateTime('2026-13-45T00:00:00Z'), undefined);
    assert.strictEqual(parseDateTime(null), undefined);
  });

  it('recognises the "beginning of time" start', () => {
    for (const t of ['0001-01-01', '0001-01-01T00:00:00', '0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'])
      assert.ok(isBeginningOfTime(t), t);
    assert.ok(!isBeginningOfTime('0001-01-02'));
    assert.ok(!isBeginningOfTime('2026-01-01'));
  });

  it('normalises counter ids, numeric-string interval ids and 3.1.0 program attributes', () => {
    const e = normalizeEvent({ id: 0, programID: 3, priority: '2', intervals: [{ id: '4', payloads: [] }] });
    assert.deepStrictEqual([e.id, e.programID, e.priority, e.intervals[0].id], ['0', '3', 2, 4]);
    const p = normalizeProgram({
      id: 7,
      programName: 'tou',
      attributes: [
        { type: 'PROGRAM_LONG_NAME', values: ['Time of use'] },
        { type: 'COUNTRY', values: ['US'] },
        { type: 'BINDING_EVENTS', values: [true] },
        { type: 'SOMETHING_ELSE', values: [1] },
        'junk',
      ],
    });
    assert.deepStrictEqual(
      [p.id, p.programLongName, p.country, p.bindingEvents],
      ['7', 'Time of use', 'US', true],
    );
    assert.throws(() => normalizeEvent('x'), /event must be an object/);
  });
});
