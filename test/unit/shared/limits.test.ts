import assert from 'assert';
import path from 'path';
import { checkDepth, DEFAULT_LIMITS, MAX_COMMAND_SECONDS } from '../../../src/limits';
import { realClock } from '../../../src/time/clock';
import { checkDurationSeconds, parseSchedule } from '../../../src/cta2045/dispatcher';
import { scheduleBlocks } from '../../../src/modbus/schedule';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hostile = require(path.resolve(__dirname, '../../fixtures/nodes/fuzz/lib/hostile.js'));

describe('unit: size limits checked before the work', () => {
  it('checkDepth measures 100,000 levels without overflowing, names the field and the setting', () => {
    assert.throws(
      () => checkDepth({ a: hostile.deep(100_000) }, 64, 'msg.payload'),
      /msg\.payload is nested more than 64 levels deep \(openadr3HpwhLimits\.maxPayloadDepth/,
    );
    assert.throws(() => checkDepth(hostile.deep(100_000, true), 64, 'msg.event'), /msg\.event/);
    assert.doesNotThrow(() => checkDepth(hostile.deep(63), 64, 'x'));
    assert.doesNotThrow(() => checkDepth(hostile.circular(), 64, 'x'));
    assert.doesNotThrow(() => checkDepth(hostile.throwingGetter('a'), 64, 'x'), 'getters are not run');
    assert.doesNotThrow(() => checkDepth({ payload: new Array(100_000).fill({ a: 1 }) }, 64, 'x'));
  });

  it('schedule runners refuse more intervals than the limit before parsing any', () => {
    const many = new Array(DEFAULT_LIMITS.maxScheduleIntervals + 1).fill('not even an interval');
    assert.throws(() => parseSchedule(many), /10001 intervals; at most 10000 .*maxScheduleIntervals/);
    assert.throws(() => scheduleBlocks({ intervals: many }), /10001 intervals; at most 10000/);
    assert.throws(() => parseSchedule(new Array(6).fill({}), 5), /at most 5/);
  });

  it('durations beyond 366 days and times beyond a date are errors naming the field', () => {
    assert.strictEqual(checkDurationSeconds(3600), 3600);
    assert.throws(
      () => checkDurationSeconds(1e308),
      /durationSeconds must be a positive number of seconds up to/,
    );
    assert.throws(
      () => checkDurationSeconds(MAX_COMMAND_SECONDS + 1, 'msg.payload.durationSeconds'),
      /msg\.payload\.durationSeconds/,
    );
    assert.throws(
      () => parseSchedule([{ start: Date.now(), end: 1e308, signal: 0 }]),
      /\[0\]\.end: is not a valid time/,
    );
    assert.throws(
      () =>
        scheduleBlocks({
          intervals: [{ start: new Date().toISOString(), end: '+275760-09-13T00:00:00.000Z', signal: 0 }],
        }),
      /\[0\]\.end/,
    );
  });

  it('a timer beyond 2^31-1 ms does not fire at once (Node would fire it after 1 ms)', async () => {
    let fired = false;
    const h = realClock.setTimeout(() => (fired = true), 30 * 24 * 3600 * 1000);
    await new Promise((r) => setTimeout(r, 50));
    realClock.clearTimeout(h);
    assert.strictEqual(fired, false);
  });
});
