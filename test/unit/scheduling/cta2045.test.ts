import assert from 'assert';
import {
  CTA2045_SIGNAL_NAMES,
  numpyPercentile,
  pricesToCta2045,
  toCta2045Signals,
} from '../../../src/scheduling';

describe('scheduling: CTA-2045 mapping', () => {
  it('maps output fractions with the reference thresholds (0 → Shed, <30 % Normal, <80 % Load Up, else Advanced)', () => {
    const control = [0, 1, 1.35, 2, 3.6, 4.5, 2];
    const signals = toCta2045Signals({ control }, { maxInput: [4.5, 4.5, 4.5, 4.5, 4.5, 4.5, 0] });
    assert.deepStrictEqual(signals, [-1, 0, 1, 1, 2, 2, 0]);
    assert.deepStrictEqual(
      signals.map((s) => CTA2045_SIGNAL_NAMES[s]),
      ['Shed', 'Normal', 'Load Up', 'Load Up', 'Advanced Load Up', 'Advanced Load Up', 'Normal'],
    );
  });

  it('takes custom thresholds, full params or the reference implementation’s max_input', () => {
    assert.deepStrictEqual(
      toCta2045Signals({ control: [1, 2, 4] }, { maxInput: 4 }, { loadUp: 0.5, advancedLoadUp: 0.9 }),
      [0, 1, 2],
    );
    const params = {
      price: [1, 1],
      load: [0, 0],
      cop: 3,
      initialSoc: 0,
      minStorage: 0,
      maxStorage: 1,
      maxInput: 2,
    };
    assert.deepStrictEqual(toCta2045Signals({ control: [0, 2] }, params), [-1, 2]);
    assert.deepStrictEqual(toCta2045Signals({ control: [0.5] }, { max_input: [1] }), [1]);
    assert.throws(() => toCta2045Signals({ control: [1, 2] }, { maxInput: [1] }), /maxInput must be/);
    assert.throws(
      () => toCta2045Signals({ control: [1] }, { maxInput: 1 }, { loadUp: NaN }),
      /thresholds.loadUp/,
    );
  });

  it('percentiles are numpy’s linear interpolation', () => {
    // np.percentile([1, 2, 3, 4], [25, 50, 75, 0, 100]) = [1.75, 2.5, 3.25, 1, 4]
    assert.deepStrictEqual(
      [25, 50, 75, 0, 100].map((q) => numpyPercentile([4, 1, 3, 2], q)),
      [1.75, 2.5, 3.25, 1, 4],
    );
    assert.strictEqual(numpyPercentile([7], 30), 7);
    assert.throws(() => numpyPercentile([], 50), /no values/);
    assert.throws(() => numpyPercentile([1], 101), /\[0, 100\]/);
  });

  it('maps prices by percentile (defaults 75/50/25), snake_case thresholds accepted', () => {
    const r = pricesToCta2045([3, 1, 2, 5, 4.5]);
    assert.deepStrictEqual(r.signals, [0, 2, 1, -1, -1]);
    assert.deepStrictEqual(r.thresholdsUsed, { shedAbove: 4.5, normalAbove: 3, loadUpAbove: 2 });
    const s = pricesToCta2045([3, 1, 2, 5, 4.5], { shed_above: 100, normal_above: 0, load_up_above: 0 });
    assert.deepStrictEqual(s.signals, [0, 0, 0, -1, 0]);
    assert.throws(() => pricesToCta2045([]), /non-empty/);
    assert.throws(() => pricesToCta2045([1, NaN]), /prices\[1\]/);
    assert.throws(() => pricesToCta2045([1], { shedAbove: 120 }), /shedAbove/);
  });
});
