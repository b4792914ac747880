/**
 * Faithful to the Annex 96 hot-water reference implementation: its Python schedulers (restated in
 * test/fixtures/scheduling/reference_*.py) and our port run on the same generated inputs.
 * Needs python3 with numpy (and scipy for the LP); under CI=true their absence is a failure.
 */
import assert from 'assert';
import path from 'path';
import {
  normalizeParams,
  pricesToCta2045,
  scheduleHeuristic,
  scheduleLp,
  SchedulerParams,
  toCta2045Signals,
} from '../../../src';
import { repoRoot } from '../../support/node-helper';
import { requirePython, runPythonJson } from '../../support/python';
import { prng, randomInstance } from './instances';

const runner = path.join(repoRoot, 'test', 'fixtures', 'scheduling', 'reference_runner.py');

/** The reference implementation's dict: snake_case, n, per-interval cop list. */
function toReference(params: SchedulerParams): Record<string, unknown> {
  const p = normalizeParams(params);
  return {
    n: p.n,
    price: p.price,
    load: p.load,
    cop: p.cop,
    initial_soc: p.initialSoc,
    min_storage_capacity: p.minStorage,
    max_storage_capacity: p.maxStorage,
    min_input: params.minInput ?? 0,
    max_input: params.maxInput,
  };
}

interface ReferenceSchedule {
  control: number[];
  cost: number[];
  converged: boolean;
}

describe('scheduling: the same answers as the reference implementation’s Python', function () {
  this.timeout(120000);

  it('heuristic: identical schedule, costs and converged flag on 1,500 generated inputs', function () {
    const python = requirePython(this, ['numpy']);
    const instances = Array.from({ length: 1500 }, (_, i) =>
      randomInstance(10_000 + i, { maxN: 48, referenceCompatible: true }),
    );
    const theirs = runPythonJson<ReferenceSchedule[]>(python, runner, {
      cases: instances.map((params) => ({ kind: 'heuristic', params: toReference(params) })),
    });
    let converged = 0;
    let claimedButBroken = 0;
    instances.forEach((params, i) => {
      const ours = scheduleHeuristic(toReference(params) as never);
      assert.deepStrictEqual(ours.control, theirs[i].control, `instance ${10_000 + i}: schedule`);
      assert.deepStrictEqual(ours.cost, theirs[i].cost, `instance ${10_000 + i}: costs`);
      assert.strictEqual(ours.converged, theirs[i].converged, `instance ${10_000 + i}: converged`);
      if (ours.converged) converged++;
      if (ours.converged && !ours.feasible) claimedButBroken++;
    });
    // Both outcomes occur, and so does the reference implementation's "converged but breaks a limit".
    assert.ok(converged > 300 && converged < 1400, `converged ${converged}`);
    assert.ok(claimedButBroken > 10, `converged-but-infeasible ${claimedButBroken}`);
  });

  it('LP: same converged flag and the same optimal cost (1e-9 relative) as scipy HiGHS on 500 inputs', function () {
    const python = requirePython(this, ['numpy', 'scipy']);
    const instances = Array.from({ length: 500 }, (_, i) =>
      randomInstance(20_000 + i, { maxN: 48, referenceCompatible: true }),
    );
    const theirs = runPythonJson<ReferenceSchedule[]>(python, runner, {
      cases: instances.map((params) => ({ kind: 'lp', params: toReference(params) })),
    });
    let feasible = 0;
    instances.forEach((params, i) => {
      const ours = scheduleLp(params);
      assert.strictEqual(ours.converged, theirs[i].converged, `instance ${20_000 + i}: converged`);
      const referenceTotal = theirs[i].cost.reduce((a, b) => a + b, 0);
      if (!ours.converged) {
        assert.deepStrictEqual(ours.control, theirs[i].control, `instance ${20_000 + i}: fallback`);
        return;
      }
      feasible++;
      const tol = 1e-9 * Math.max(1, Math.abs(referenceTotal));
      assert.ok(
        Math.abs(ours.totalCost - referenceTotal) <= tol,
        `instance ${20_000 + i}: ${ours.totalCost} vs ${referenceTotal}`,
      );
    });
    assert.ok(feasible > 150, `feasible ${feasible}`);
  });

  it('CTA-2045 signals from schedules: identical on generated outputs, including the exact thresholds', function () {
    const python = requirePython(this, ['numpy']);
    const rnd = prng(99);
    const cases = Array.from({ length: 300 }, () => {
      const n = 1 + Math.floor(rnd() * 24);
      const maxInput = rnd() < 0.5 ? 4.5 : Array.from({ length: n }, () => (rnd() < 0.2 ? 0 : 1 + 4 * rnd()));
      const top = (h: number) => (typeof maxInput === 'number' ? maxInput : maxInput[h]);
      const control = Array.from(
        { length: n },
        (_, h) =>
          [0, 0.3 * top(h), 0.8 * top(h), top(h), rnd() * top(h), 0.29999 * top(h)][Math.floor(rnd() * 6)],
      );
      return { kind: 'signals', control, max_input: maxInput, n };
    });
    const theirs = runPythonJson<Array<{ signals: number[] }>>(python, runner, { cases });
    cases.forEach((c, i) => {
      assert.deepStrictEqual(
        toCta2045Signals({ control: c.control }, { maxInput: c.max_input }),
        theirs[i].signals,
      );
    });
  });

  it('CTA-2045 signals from prices: numpy percentiles bit for bit, same signals', function () {
    const python = requirePython(this, ['numpy']);
    const rnd = prng(7);
    const cases = Array.from({ length: 400 }, (_, i) => {
      const n = 1 + Math.floor(rnd() * 50);
      const prices = Array.from({ length: n }, () =>
        rnd() < 0.3 ? [0.1, 0.12, -0.01][i % 3] : rnd() * 0.4 - 0.05,
      );
      const thresholds =
        i % 4 === 0
          ? null
          : { shed_above: 50 + rnd() * 50, normal_above: 20 + rnd() * 40, load_up_above: rnd() * 30 };
      return { kind: 'prices', prices, thresholds };
    });
    const theirs = runPythonJson<Array<{ signals: number[]; thresholds_used: Record<string, number> }>>(
      python,
      runner,
      {
        cases,
      },
    );
    cases.forEach((c, i) => {
      const ours = pricesToCta2045(c.prices, c.thresholds ?? undefined);
      assert.deepStrictEqual(ours.signals, theirs[i].signals, `case ${i}`);
      assert.deepStrictEqual(
        ours.thresholdsUsed,
        {
          shedAbove: theirs[i].thresholds_used.shed_above,
          normalAbove: theirs[i].thresholds_used.normal_above,
          loadUpAbove: theirs[i].thresholds_used.load_up_above,
        },
        `case ${i}`,
      );
    });
  });
});
