import assert from 'assert';
import { sourceText, tsFiles } from '../support/source-files';

// A test that starts a price event at the top of the current hour and then reads the current
// interval fails whenever the clock crosses the hour in between, and the whole suite runs longer
// than an hour on CI. Tests start their events at test/support/clock.ts's recentStart() instead.
// The allow-list names the tests that align to the hour on purpose, each with why it is safe; an
// entry that no longer aligns fails too, so the list stays exact.

const HOUR_FLOOR =
  /Math\.floor\(\s*[\w.()]+\s*\/\s*(?:HOUR|hour|3600_?000)\s*\)\s*\*\s*(?:HOUR|hour|3600_?000)|setU?T?C?Minutes\(0/;

const ALLOWED: Record<string, string> = {
  'test/e2e/example-openadr31-price-server.e2e.test.ts':
    'a day of hourly prices; it accepts 23 or 24 intervals, so a crossing drops the first one only',
  'test/e2e/example-home-gateway.e2e.test.ts':
    'the example maps emissions by local hour; it compares hours 1–23 only, which a crossing keeps',
  'test/e2e/openadr3-client.e2e.test.ts':
    'the example publishes at the top of the hour; the test accepts the hour before or after the inject',
  'test/fuzz/corpus.ts': 'a day of 24 hourly prices; no fuzz check reads the current price',
};

/** 1-based lines that align a time to the top of an hour. */
function hourFloorLines(rel: string): number[] {
  return sourceText(rel)
    .split('\n')
    .flatMap((line, i) => (HOUR_FLOOR.test(line) ? [i + 1] : []));
}

describe('tests: no price event anchored to the top of the hour', () => {
  const files = tsFiles('test').filter((f) => f !== 'test/unit/test-clock.test.ts');

  it('recognises the forms an hour floor is written in', () => {
    for (const line of [
      'new Date(Math.floor(Date.now() / HOUR) * HOUR)',
      'Math.floor(Date.now() / 3600000) * 3600000',
      'Math.floor(now / 3600_000) * 3600_000',
      'start.setUTCMinutes(0, 0, 0)',
    ])
      assert.ok(HOUR_FLOOR.test(line), line);
    assert.ok(!HOUR_FLOOR.test('Math.floor((Date.now() - 60_000) / 1000) * 1000'));
  });

  it('only the listed tests align to the hour, and each listed one still does', () => {
    const found = Object.fromEntries(files.map((f) => [f, hourFloorLines(f)]).filter(([, l]) => l.length));
    const unexpected = Object.entries(found).filter(([f]) => !(f in ALLOWED));
    assert.deepStrictEqual(unexpected, [], 'use recentStart() from test/support/clock.ts');
    assert.deepStrictEqual(
      Object.keys(ALLOWED).filter((f) => !(f in found)),
      [],
      'drop these from the allow-list',
    );
  });
});
