import assert from 'assert';
import { normalizeParams, scheduleLp, SchedulingParamsError, simulateSoc } from '../../../src';

const good = {
  price: [0.1, 0.2, 0.3],
  load: [1, 1, 1],
  cop: 3,
  initialSoc: 5,
  minStorage: 1,
  maxStorage: 12,
  maxInput: 4.5,
};

function rejects(change: Record<string, unknown>, field: string, message: RegExp): void {
  assert.throws(
    () => normalizeParams({ ...good, ...change } as never),
    (err: unknown) => {
      assert.ok(err instanceof SchedulingParamsError, String(err));
      assert.strictEqual(err.field, field);
      assert.match(err.message, message);
      return true;
    },
  );
}

describe('scheduling: parameters', () => {
  it('broadcasts scalars and fills defaults', () => {
    const p = normalizeParams(good);
    assert.deepStrictEqual(p.cop, [3, 3, 3]);
    assert.deepStrictEqual(p.minInput, [0, 0, 0]);
    assert.deepStrictEqual(p.maxInput, [4.5, 4.5, 4.5]);
    assert.strictEqual(p.intervalHours, 1);
    assert.strictEqual(p.finalSoc, undefined);
    assert.strictEqual(p.n, 3);
  });

  it("accepts the reference implementation's snake_case dict and gives the same schedule", () => {
    const snake = {
      n: 3,
      price: good.price,
      load: good.load,
      cop: [3, 3, 3],
      initial_soc: 5,
      min_storage_capacity: 1,
      max_storage_capacity: 12,
      min_input: 0,
      max_input: 4.5,
      interval_hours: 0.25,
      final_soc: 2,
    };
    const p = normalizeParams(snake);
    assert.strictEqual(p.initialSoc, 5);
    assert.strictEqual(p.intervalHours, 0.25);
    assert.strictEqual(p.finalSoc, 2);
    assert.deepStrictEqual(scheduleLp(snake).control, scheduleLp({ ...good, finalSoc: 2 }).control);
  });

  it('names the field in every error', () => {
    rejects({ load: [1, 1] }, 'load', /must have 3 values \(one per price\), got 2/);
    rejects({ load: [1, NaN, 1] }, 'load[1]', /finite number, got NaN/);
    rejects({ price: [] }, 'price', /at least one interval/);
    rejects({ price: 'cheap' }, 'price', /must be an array of numbers/);
    rejects({ cop: 0 }, 'cop', /must be > 0, got 0/);
    rejects({ cop: [3, -1, 3] }, 'cop[1]', /must be > 0/);
    rejects({ cop: [3, 3] }, 'cop', /must have 3 values/);
    rejects({ initialSoc: undefined }, 'initialSoc', /finite number, got missing/);
    rejects({ minStorage: 13 }, 'minStorage', /\(13\) must be <= maxStorage \(12\)/);
    rejects({ maxStorage: Infinity }, 'maxStorage', /finite number, got Infinity/);
    rejects({ minInput: 5 }, 'minInput', /\(5\) must be <= maxInput \(4.5\)/);
    rejects({ minInput: [0, 5, 0] }, 'minInput[1]', /must be <= maxInput/);
    rejects({ maxInput: undefined }, 'maxInput', /missing/);
    rejects({ intervalHours: 0 }, 'intervalHours', /must be > 0/);
    rejects({ finalSoc: 'full' }, 'finalSoc', /finite number/);
    rejects({ n: 4 }, 'n', /is 4 but price has 3 values/);
    assert.throws(() => normalizeParams(null as never), /params: must be an object/);
  });

  it('simulateSoc: n + 1 levels, checked lengths', () => {
    assert.deepStrictEqual(simulateSoc([2, 0, 1], good), [5, 6, 5, 5]);
    assert.throws(() => simulateSoc([1], good), /control has 1 values but the horizon has 3/);
  });
});
