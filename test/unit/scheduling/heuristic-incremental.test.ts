/**
 * The incremental heuristic against the straightforward port it replaced (heuristic-reference.ts):
 * the same schedule, costs, tank and converged flag, bit for bit (deepStrictEqual compares numbers
 * with Object.is), on thousands of generated inputs including long horizons. The Python comparison
 * (reference-python.test.ts) then ties both to the original system.
 */
import assert from 'assert';
import { normalizeParams, scheduleHeuristic, SchedulerParams } from '../../../src';
import { referenceHeuristic } from './heuristic-reference';
import { prng, randomInstance } from './instances';

function same(params: SchedulerParams, what: string): void {
  const ours = scheduleHeuristic(params);
  const ref = referenceHeuristic(params);
  assert.deepStrictEqual(ours.control, ref.control, `${what}: schedule`);
  assert.deepStrictEqual(ours.cost, ref.cost, `${what}: costs`);
  assert.deepStrictEqual(ours.soc, ref.soc, `${what}: tank`);
  assert.strictEqual(ours.converged, ref.converged, `${what}: converged`);
}

/** A day-shaped price curve with spikes and a residential-like draw, 15-minute intervals. */
function dayShaped(n: number, seed: number, tank = 12, minInput = 0): SchedulerParams {
  const rnd = prng(seed);
  return {
    price: Array.from(
      { length: n },
      (_, h) => 0.12 + 0.05 * Math.sin((2 * Math.PI * h) / 96) + 0.02 * rnd() - (rnd() < 0.03 ? 0.2 : 0),
    ),
    load: Array.from({ length: n }, () => (rnd() < 0.6 ? 0.05 : 0.4 * rnd())),
    cop: 3,
    initialSoc: 6,
    minStorage: 1,
    maxStorage: tank,
    minInput,
    maxInput: 1.125,
    intervalHours: 0.25,
  };
}

describe('scheduling: the incremental heuristic is the first port, bit for bit', function () {
  this.timeout(120000);

  it('4,000 generated inputs of up to 48 intervals (every case style of instances.ts)', () => {
    for (let i = 0; i < 4000; i++) same(randomInstance(50_000 + i, { maxN: 48 }), `instance ${50_000 + i}`);
  });

  it('300 generated inputs of up to 400 intervals', () => {
    for (let i = 0; i < 300; i++) same(randomInstance(60_000 + i, { maxN: 400 }), `instance ${60_000 + i}`);
  });

  it('long day-shaped horizons: small and large tanks, with and without a minimum output', () => {
    for (const [n, tank, minInput] of [
      [672, 12, 0],
      [1500, 12, 0.1],
      [2880, 12, 0],
      [2000, 400, 0],
      [1000, 2, 0.2],
      [1200, 2, 0],
    ] as const) {
      same(dayShaped(n, n, tank, minInput), `n=${n} tank=${tank} minInput=${minInput}`);
    }
  });

  it('plans 20,000 day-shaped intervals in seconds (the first port needed minutes)', () => {
    const t0 = Date.now();
    const r = scheduleHeuristic(normalizeParams(dayShaped(20_000, 7)));
    const ms = Date.now() - t0;
    assert.strictEqual(r.control.length, 20_000);
    assert.ok(ms < 20_000, `${ms} ms`);
  });
});
