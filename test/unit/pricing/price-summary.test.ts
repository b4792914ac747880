import assert from 'assert';
import { parseOlivinePrices } from '../../../src/pricing/olivine';
import {
  describePriceWindow,
  msUntilMinutePastHour,
  shiftPricesTo,
  startOfHour,
} from '../../../src/pricing/price-summary';
import { live, simple } from './olivine-fixtures';

const H = 3_600_000;
const M = 60_000;

describe('unit: price window summary, schedule and sample shifting', () => {
  it('summarises the window and the price range in one short line', () => {
    const text = describePriceWindow(parseOlivinePrices(live()));
    assert.strictEqual(text, '24 h from 02-19 05:00Z, 0.109–0.127 USD/kWh');
    assert.ok(text.length <= 60);
    assert.strictEqual(
      describePriceWindow(parseOlivinePrices(live()), { withStart: false }),
      '24 h, 0.109–0.127 USD/kWh',
    );
    assert.strictEqual(
      describePriceWindow(parseOlivinePrices(simple())),
      '13 h from 02-17 19:00Z, 0.117–0.122 USD/kWh',
    );
  });

  it('finds the next fetch a few minutes past the hour', () => {
    const hour = Date.UTC(2026, 10, 27, 20);
    assert.strictEqual(msUntilMinutePastHour(hour, 5), 5 * M);
    assert.strictEqual(msUntilMinutePastHour(hour + 4 * M, 5), M);
    assert.strictEqual(msUntilMinutePastHour(hour + 5 * M, 5), H, 'exactly on time means the next hour');
    assert.strictEqual(msUntilMinutePastHour(hour + 30 * M, 5), 35 * M);
    assert.strictEqual(msUntilMinutePastHour(hour + 59 * M + 59_999, 0), 1);
    for (const bad of [-1, 60, 2.5, Number.NaN]) {
      assert.throws(() => msUntilMinutePastHour(hour, bad), /whole number 0–59/);
    }
  });

  it('moves sample prices to a new start, keeping prices and lengths, and says so', () => {
    const original = parseOlivinePrices(live());
    const now = Date.UTC(2026, 10, 27, 20, 17);
    const moved = shiftPricesTo(original, startOfHour(now));
    assert.strictEqual(moved.start, '2026-11-27T20:00:00Z');
    assert.strictEqual(moved.end, '2026-11-28T20:00:00Z');
    assert.strictEqual(moved.eventID, 'sample-2026-11-27');
    assert.deepStrictEqual(
      moved.intervals.map((i) => i.price),
      original.intervals.map((i) => i.price),
    );
    moved.intervals.forEach((i, n) =>
      assert.strictEqual(Date.parse(i.start), Date.UTC(2026, 10, 27, 20) + n * H),
    );
    assert.match(
      moved.warnings.at(-1)!,
      /sample prices from 2026-02-19T05:00:00Z moved to start at 2026-11-27T20:00:00Z/,
    );
    assert.strictEqual(original.start, '2026-02-19T05:00:00Z', 'the original is left alone');
  });
});
