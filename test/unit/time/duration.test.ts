import assert from 'assert';
import {
  addIsoDuration,
  formatIsoDuration,
  formatIsoDurationOrInfinity,
  isoDurationToMs,
  parseIsoDuration,
  parseIsoDurationTolerant,
} from '../../../src/time/duration';

const H = 3_600_000;

describe('unit: ISO 8601 durations', () => {
  it('reads the lengths price feeds use', () => {
    assert.strictEqual(isoDurationToMs('PT1H'), H);
    assert.strictEqual(isoDurationToMs('PT13H'), 13 * H);
    assert.strictEqual(isoDurationToMs('PT15M'), 15 * 60_000);
    assert.strictEqual(isoDurationToMs('PT1H30M'), 1.5 * H);
    assert.strictEqual(isoDurationToMs('PT90S'), 90_000);
    assert.strictEqual(isoDurationToMs('P1D'), 24 * H);
    assert.strictEqual(isoDurationToMs('P1DT2H'), 26 * H);
    assert.strictEqual(isoDurationToMs('P2W'), 14 * 24 * H);
    assert.strictEqual(isoDurationToMs('PT0S'), 0);
  });

  it('reads a fraction on the smallest component, with . or ,', () => {
    assert.strictEqual(isoDurationToMs('PT0.5H'), H / 2);
    assert.strictEqual(isoDurationToMs('PT1,5S'), 1500);
    assert.strictEqual(isoDurationToMs('PT1M0.25S'), 60_250);
  });

  it('keeps the sign of a negative duration', () => {
    assert.strictEqual(parseIsoDuration('-PT1H').negative, true);
    assert.strictEqual(isoDurationToMs('-PT1H'), -H);
    assert.strictEqual(parseIsoDuration('+PT1H').negative, false);
  });

  it('parses years and months but refuses to give them a length', () => {
    assert.deepStrictEqual(parseIsoDuration('P1Y2M'), {
      negative: false,
      years: 1,
      months: 2,
      weeks: 0,
      days: 0,
      hours: 0,
      minutes: 0,
      seconds: 0,
    });
    assert.throws(() => isoDurationToMs('P1M'), /years or months have no fixed length/);
    assert.throws(() => isoDurationToMs('P1Y'), /years or months have no fixed length/);
    // PT1M is one minute, not one month.
    assert.strictEqual(isoDurationToMs('PT1M'), 60_000);
  });

  for (const bad of [
    '',
    'P',
    'PT',
    'P1DT',
    '1H',
    'PT1X',
    'PT1H1H',
    'PT1S1M',
    'pt1h',
    ' PT1H',
    'PT1.5H30M',
    'P-1D',
    'PT1.H',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseIsoDuration(bad), /not an ISO 8601 duration/);
    });
  }

  for (const bad of [3600, null, undefined, {}, ['PT1H']]) {
    it(`rejects a ${bad === null ? 'null' : Array.isArray(bad) ? 'array' : typeof bad} as not a string`, () => {
      assert.throws(() => parseIsoDuration(bad), /must be an ISO 8601 string/);
    });
  }

  it('formats milliseconds in hours, minutes and seconds', () => {
    assert.strictEqual(formatIsoDuration(H), 'PT1H');
    assert.strictEqual(formatIsoDuration(13 * H), 'PT13H');
    assert.strictEqual(formatIsoDuration(24 * H), 'PT24H');
    assert.strictEqual(formatIsoDuration(1.5 * H), 'PT1H30M');
    assert.strictEqual(formatIsoDuration(0), 'PT0S');
    assert.strictEqual(formatIsoDuration(1500), 'PT1.5S');
    assert.strictEqual(formatIsoDuration(-15 * 60_000), '-PT15M');
    assert.throws(() => formatIsoDuration(Infinity), /cannot format/);
  });

  it('round-trips what it formats', () => {
    for (const ms of [1000, 60_000, H, 25 * H + 61_500, 7 * 24 * H]) {
      assert.strictEqual(isoDurationToMs(formatIsoDuration(ms)), ms);
    }
  });

  describe('the tolerant reading (what servers send)', () => {
    it('reads what the strict reading refuses: blanks, lower case, a fraction anywhere', () => {
      for (const text of [' PT1H ', 'pt1h', 'PT1.0H0M', 'PT0.5H30M']) {
        assert.throws(() => parseIsoDuration(text), /not an ISO 8601 duration/, text);
        assert.strictEqual(isoDurationToMs(parseIsoDurationTolerant(text)), H, text);
      }
    });

    it('gives the same components as the strict reading where both read', () => {
      for (const text of ['PT1H', 'P1DT2H', '-PT15M', 'P1Y2M', 'PT1,5S']) {
        const { infinite, ...rest } = parseIsoDurationTolerant(text);
        assert.deepStrictEqual(rest, parseIsoDuration(text), text);
        assert.strictEqual(infinite, false);
      }
    });

    it('marks P9999Y as infinity and adds it as such', () => {
      assert.strictEqual(parseIsoDurationTolerant('P9999Y').infinite, true);
      assert.strictEqual(addIsoDuration(0, parseIsoDurationTolerant('P9999Y')), Infinity);
      assert.strictEqual(formatIsoDurationOrInfinity(Infinity), 'P9999Y');
      assert.strictEqual(formatIsoDurationOrInfinity(H), 'PT1H');
    });

    it('still refuses what is no duration, naming the field', () => {
      for (const bad of ['', 'P', 'PT', 'P1DT', 'PT1X', 'one hour']) {
        assert.throws(
          () => parseIsoDurationTolerant(bad, 'period'),
          /period is not an ISO 8601 duration/,
          bad,
        );
      }
    });
  });
});
