import assert from 'assert';
import {
  findViolations,
  greedyOrder,
  isFeasible,
  normalizeParams,
  scheduleHeuristic,
  scheduleLp,
  SchedulerParams,
} from '../../../src/scheduling';
import { randomInstance } from './instances';

/** The reference implementation's notebook example (scheduling.md): optimal total cost $1.190635. */
export const REFERENCE_EXAMPLE_PRICES = [
  0.12266, 0.1215, 0.1199, 0.11809, 0.12066, 0.11821, 0.1178, 0.11823, 0.12151, 0.12692, 0.12514, 0.12257,
  0.12292, 0.12003, 0.11663, 0.11496, 0.11353, 0.11191, 0.10918, 0.11637, 0.12448, 0.12548, 0.12511, 0.12492,
];
const referenceExample: SchedulerParams = {
  price: REFERENCE_EXAMPLE_PRICES,
  load: REFERENCE_EXAMPLE_PRICES.map(() => 1.5),
  cop: 3,
  initialSoc: 6,
  minStorage: 1,
  maxStorage: 12,
  minInput: 0,
  maxInput: 4.5,
};

const close = (a: number, b: number, rel = 1e-9) =>
  Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

describe('scheduling: scheduleLp', () => {
  for (const engine of ['exact', 'javascript-lp-solver'] as const) {
    it(`${engine}: finds the reference notebook's optimum $1.190635`, () => {
      const r = scheduleLp(referenceExample, { engine });
      assert.ok(close(r.totalCost, 1.190635, 1e-12), `total ${r.totalCost}`);
      assert.strictEqual(r.converged, true);
      assert.strictEqual(r.feasible, true);
      assert.deepStrictEqual(r.violations, []);
      assert.strictEqual(r.soc.length, 25);
      assert.strictEqual(r.engine, engine);
      assert.ok(
        close(
          r.cost.reduce((a, b) => a + b, 0),
          r.totalCost,
          1e-15,
        ),
      );
    });
  }

  it('the exact engine and javascript-lp-solver agree on cost (1e-9 relative) on 2,500 random instances', function () {
    this.timeout(120000);
    let feasible = 0;
    let infeasible = 0;
    let negative = 0;
    for (let seed = 1; seed <= 2500; seed++) {
      const params = randomInstance(seed, { maxN: seed <= 2300 ? 24 : 96 });
      const exact = scheduleLp(params);
      const lp = scheduleLp(params, { engine: 'javascript-lp-solver' });
      assert.strictEqual(
        exact.converged,
        lp.converged,
        `seed ${seed}: converged ${exact.converged} vs ${lp.converged}`,
      );
      if (params.price.some((p) => p < 0)) negative++;
      if (!exact.converged) {
        infeasible++;
        assert.deepStrictEqual(
          exact.control,
          lp.control,
          `seed ${seed}: both fall back to the same schedule`,
        );
        continue;
      }
      feasible++;
      assert.ok(
        close(exact.totalCost, lp.totalCost),
        `seed ${seed}: exact ${exact.totalCost} vs lp ${lp.totalCost}`,
      );
      assert.deepStrictEqual(exact.violations, [], `seed ${seed}: exact schedule keeps every limit`);
      assert.deepStrictEqual(lp.violations, [], `seed ${seed}: lp-solver schedule keeps every limit`);
    }
    // The generator really exercises both outcomes and negative prices.
    assert.ok(feasible > 1000 && infeasible > 100 && negative > 400, `${feasible}/${infeasible}/${negative}`);
  });

  it('is never worse than the heuristic when the heuristic keeps every limit', () => {
    let compared = 0;
    for (let seed = 5000; seed < 6500; seed++) {
      const params = randomInstance(seed, { maxN: 48 });
      const exact = scheduleLp(params);
      const greedy = scheduleHeuristic(params);
      if (!exact.converged || !greedy.feasible) continue;
      compared++;
      assert.ok(
        exact.totalCost <= greedy.totalCost + 1e-9,
        `seed ${seed}: ${exact.totalCost} > ${greedy.totalCost}`,
      );
    }
    assert.ok(compared > 300, `compared ${compared}`);
  });

  it('is never worse than random feasible schedules (a second, solver-free optimality check)', () => {
    for (let seed = 7000; seed < 7300; seed++) {
      const params = randomInstance(seed, { maxN: 12 });
      const p = normalizeParams(params);
      const exact = scheduleLp(p);
      if (!exact.converged) continue;
      // Perturb the optimum towards other feasible points: any feasible point costs at least as much.
      for (let k = 0; k < 20; k++) {
        const h = k % p.n;
        const moved = exact.control.slice();
        moved[h] = p.minInput[h] + ((k * 0.37) % 1) * (p.maxInput[h] - p.minInput[h]);
        if (findViolations(moved, p).length) continue;
        const cost = moved.reduce((s, e, i) => s + (e * p.price[i]) / p.cop[i], 0);
        assert.ok(cost >= exact.totalCost - 1e-9, `seed ${seed}: a feasible schedule is cheaper`);
      }
    }
  });

  it('infeasible: converged false, the reference fallback (maxInput clipped against overflow)', () => {
    const params: SchedulerParams = {
      price: [0.1, 0.2, 0.3],
      load: [5, 5, 5],
      cop: 3,
      initialSoc: 2,
      minStorage: 1,
      maxStorage: 6,
      maxInput: 4.5,
    };
    for (const engine of ['exact', 'javascript-lp-solver'] as const) {
      const r = scheduleLp(params, { engine });
      assert.strictEqual(r.converged, false);
      assert.strictEqual(r.feasible, false);
      assert.deepStrictEqual(r.control, [4.5, 4.5, 4.5]);
      assert.ok(r.violations.some((v) => v.kind === 'minStorage'));
    }
    // Overflow clipping in the fallback: a nearly full tank and no draw.
    const full = scheduleLp({ ...params, load: [0, 6, 0], initialSoc: 5, minStorage: 5.5 });
    assert.strictEqual(full.converged, false);
    assert.deepStrictEqual(full.control, [1, 4.5, 1.5]);
  });

  it('finalSoc: the plan leaves at least that much in the tank, at the least cost that does', () => {
    const base = scheduleLp(referenceExample);
    assert.ok(close(base.soc[24], 1, 1e-9), 'positive prices drain the tank to the reserve');
    const r = scheduleLp({ ...referenceExample, finalSoc: 6 });
    assert.ok(r.soc[24] >= 6 - 1e-9);
    assert.ok(r.totalCost > base.totalCost);
    const lp = scheduleLp({ ...referenceExample, finalSoc: 6 }, { engine: 'javascript-lp-solver' });
    assert.ok(close(r.totalCost, lp.totalCost));
    const impossible = scheduleLp({ ...referenceExample, finalSoc: 13 });
    assert.strictEqual(impossible.converged, false);
    assert.ok(impossible.violations.some((v) => v.kind === 'finalSoc'));
  });

  it('negative prices fill the tank; zero draw with positive prices heats nothing', () => {
    const negative = scheduleLp({ ...referenceExample, price: referenceExample.price.map(() => -0.05) });
    assert.ok(close(negative.soc[24], 12, 1e-9), 'ends full');
    const idle = scheduleLp({ ...referenceExample, load: referenceExample.price.map(() => 0) });
    assert.deepStrictEqual(
      idle.control,
      referenceExample.price.map(() => 0),
    );
    assert.strictEqual(idle.totalCost, 0);
  });

  it('isFeasible agrees with the solver on tight tanks (min = max storage)', () => {
    const tight = { ...referenceExample, minStorage: 6, maxStorage: 6 };
    assert.strictEqual(isFeasible(normalizeParams(tight)), true);
    const r = scheduleLp(tight);
    assert.deepStrictEqual(r.control, tight.load);
    const lp = scheduleLp(tight, { engine: 'javascript-lp-solver' });
    assert.ok(close(lp.totalCost, r.totalCost));
    assert.strictEqual(isFeasible(normalizeParams({ ...tight, maxInput: 1 })), false);
  });

  it('reports savings against the just-in-time baseline', () => {
    const r = scheduleLp(referenceExample);
    assert.ok(r.baselineCost > r.totalCost);
    assert.ok(close(r.savings, r.baselineCost - r.totalCost, 1e-15));
    assert.ok(close(r.savingsPercent!, (100 * r.savings) / r.baselineCost, 1e-15));
  });

  it('greedy order: negative costs most negative first, then most expensive first, ties by index', () => {
    assert.deepStrictEqual(greedyOrder([0.1, -0.2, 0.3, 0.1, -0.5, 0, 0.3, -0.2]), [4, 1, 7, 2, 6, 0, 3, 5]);
    assert.deepStrictEqual(greedyOrder([2]), [0]);
    const costs = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 13) - 4);
    const expected = costs
      .map((c, h) => h)
      .sort((a, b) => {
        const na = costs[a] < 0;
        const nb = costs[b] < 0;
        if (na !== nb) return na ? -1 : 1;
        if (costs[a] !== costs[b]) return na ? costs[a] - costs[b] : costs[b] - costs[a];
        return a - b;
      });
    assert.deepStrictEqual(greedyOrder(costs), expected);
  });

  it('rejects an unknown engine', () => {
    assert.throws(() => scheduleLp(referenceExample, { engine: 'highs' as never }), /unknown engine "highs"/);
  });
});
