import assert from 'assert';
import { scheduleHeuristic, SchedulerParams } from '../../../src';

const base: SchedulerParams = {
  price: [0.3, 0.1, 0.2, 0.4],
  load: [1, 1, 1, 1],
  cop: 3,
  initialSoc: 1.5,
  minStorage: 1,
  maxStorage: 10,
  minInput: 0,
  maxInput: 4,
};

describe('scheduling: scheduleHeuristic (the reference greedy)', () => {
  it('initial tank covers everything → zeros, converged', () => {
    const r = scheduleHeuristic({ ...base, initialSoc: 6 });
    assert.deepStrictEqual(r.control, [0, 0, 0, 0]);
    assert.strictEqual(r.converged, true);
    assert.strictEqual(r.feasible, true);
    assert.strictEqual(r.algorithm, 'heuristic');
  });

  it('boosts the cheapest eligible interval at or before the first shortfall', () => {
    // Hour 0 is short by 0.5: only hour 0 is eligible → raised to max 4. Tank then lasts.
    const r = scheduleHeuristic(base);
    assert.deepStrictEqual(r.control, [4, 0, 0, 0]);
    assert.strictEqual(r.converged, true);
    assert.deepStrictEqual(r.soc, [1.5, 4.5, 3.5, 2.5, 1.5]);
  });

  it('cannot meet the draw → the reference fallback (maxInput clipped), not converged', () => {
    const r = scheduleHeuristic({ ...base, load: [5, 5, 5, 5] });
    assert.strictEqual(r.converged, false);
    assert.deepStrictEqual(r.control, [4, 4, 4, 4]);
    assert.strictEqual(r.feasible, false);
  });

  it('says converged while breaking a limit, and the result reports it (tank starting above max)', () => {
    const r = scheduleHeuristic({ ...base, initialSoc: 12 });
    assert.strictEqual(r.converged, true, 'the reference claims success');
    assert.strictEqual(r.feasible, false);
    assert.strictEqual(r.violations[0].kind, 'maxStorage');
    assert.match(r.violations[0].message, /interval 0: tank above maxStorage \(11 vs 10\)/);
  });

  it('says converged while an overflow clip pushed an interval below minInput', () => {
    const r = scheduleHeuristic({ ...base, initialSoc: 9.5, minInput: 2, load: [0, 0, 0, 20] });
    assert.ok(
      r.violations.some((v) => v.kind === 'minInput'),
      JSON.stringify(r.violations),
    );
  });

  it('finalSoc extension: the last interval must leave at least finalSoc', () => {
    const r = scheduleHeuristic({ ...base, initialSoc: 6, finalSoc: 5 });
    assert.ok(r.soc[4] >= 5);
    assert.strictEqual(r.converged, true);
  });
});
