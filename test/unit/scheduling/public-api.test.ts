import assert from 'assert';
import * as api from '../../../src';
import * as scheduling from '../../../src/scheduling';

describe('scheduling: the package main exports the API, not the solver internals', () => {
  it('offers what a user of the core calls', () => {
    for (const name of [
      'scheduleLp',
      'scheduleHeuristic',
      'normalizeParams',
      'planFrom',
      'scheduleTimeline',
      'toPriceTimeline',
      'toCta2045Signals',
      'pricesToCta2045',
      'tankEnergyKwh',
      'parseIsoDuration',
      'parseIsoDurationTolerant',
      'parseIsoDateTime',
      'parseIsoDateTimeTolerant',
      'renderScheduleSvg',
    ]) {
      assert.strictEqual(typeof (api as Record<string, unknown>)[name], 'function', name);
    }
    assert.strictEqual(api.DEFAULT_HEATER.capacityKwh, 12);
  });

  it('keeps the solver helpers in their modules', () => {
    for (const name of [
      'greedyOrder',
      'unitCosts',
      'buildSparseModel',
      'energyTolerance',
      'solveExact',
      'solveWithLpSolver',
      'isFeasible',
      'referenceFallback',
      'numpyPercentile',
      'resolveHeater',
      'runScheduler',
      'intervalDurationMs',
    ]) {
      assert.ok(!(name in api), `${name} is not in the package main`);
      assert.strictEqual(typeof (scheduling as Record<string, unknown>)[name], 'function', name);
    }
  });
});
