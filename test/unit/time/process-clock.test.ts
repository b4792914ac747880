import assert from 'assert';
import { processClock, resetProcessClock, TIME_SCALE_ENV } from '../../../src/time/clock';

describe('time: processClock (the process-wide clock a soak test scales)', () => {
  afterEach(() => resetProcessClock());

  it('is real time when the variable is unset or 1', () => {
    const clock = processClock({});
    assert.strictEqual(clock.factor, 1);
    assert.ok(Math.abs(clock.now() - Date.now()) < 50);
    resetProcessClock();
    assert.strictEqual(processClock({ [TIME_SCALE_ENV]: '1' }).factor, 1);
  });

  it('runs `factor` times faster when scaled, and every caller shares one clock', async () => {
    const clock = processClock({ [TIME_SCALE_ENV]: '3600' });
    assert.strictEqual(clock.factor, 3600);
    // Later callers get the same clock whatever they pass: nodes must agree on the time.
    assert.strictEqual(processClock({}), clock);
    const t0 = clock.now();
    const real0 = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    const simulated = clock.now() - t0;
    const real = Date.now() - real0;
    assert.ok(simulated >= real * 3600 * 0.9, `simulated ${simulated} ms in ${real} ms`);
    // A simulated hour-long timer fires after about a real second (here: 36 s → 10 ms).
    const fired = await new Promise<number>((resolve) => {
      const start = clock.now();
      clock.setTimeout(() => resolve(clock.now() - start), 36_000);
    });
    assert.ok(fired >= 36_000, `fired after ${fired} simulated ms`);
  });

  it('refuses a value that is not a positive number, naming the variable', () => {
    for (const bad of ['fast', '0', '-2', 'NaN']) {
      resetProcessClock();
      assert.throws(() => processClock({ [TIME_SCALE_ENV]: bad }), new RegExp(TIME_SCALE_ENV));
    }
  });
});
