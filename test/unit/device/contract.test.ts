import assert from 'assert';
import {
  COMMAND_SIGNAL,
  parseSchedule,
  parseSingleCommand,
  resolveCommand,
  ScheduleRunner,
  SIGNAL_COMMAND,
} from '../../../src/device';
import { SIGNAL_COMMAND as MODBUS_SIGNAL_COMMAND } from '../../../src/modbus/register-map';
import { ManualClock } from '../cta2045/helpers';
import { at, iv, T0 } from './schedule-fixture';

describe('device contract: commands, schedules, runner', () => {
  it('has one signal → command map, used by Modbus too, and its inverse', () => {
    assert.deepStrictEqual(
      [-1, 0, 1, 2].map((s) => SIGNAL_COMMAND[s]),
      ['shed', 'normal', 'loadup', 'advanced-loadup'],
    );
    assert.strictEqual(MODBUS_SIGNAL_COMMAND, SIGNAL_COMMAND);
    for (const s of [-1, 0, 1, 2]) assert.strictEqual(COMMAND_SIGNAL[SIGNAL_COMMAND[s]], s);
    assert.strictEqual(COMMAND_SIGNAL['grid-emergency'], -1);
    assert.strictEqual(
      resolveCommand('advanced-loadup', (c) => c !== 'advanced-loadup'),
      'loadup',
    );
    assert.strictEqual(
      resolveCommand('critical-peak', () => false),
      undefined,
    );
  });

  it('sorts intervals, rejects overlaps, and names the field of every error', () => {
    const blocks = parseSchedule([iv(30, 45, 1), iv(0, 15, -1), iv(15, 30, -1)]);
    assert.deepStrictEqual(
      blocks.map((b) => [b.command, (b.start - T0) / 60000]),
      [
        ['shed', 0],
        ['shed', 15],
        ['loadup', 30],
      ],
    );
    assert.throws(
      () => parseSchedule([iv(5, 15, 1), iv(0, 10, 0)]),
      /intervals\[0\]\.start: overlaps .*intervals\[1\]/,
    );
    assert.throws(
      () => parseSchedule([{ ...iv(0, 5, 2), extraWh: 'lots' }]),
      /intervals\[0\]\.extraWh: must be a positive/,
    );
    assert.throws(() => parseSchedule([null]), /intervals\[0\]: must be an object/);
    // A time without a zone would be read in the server's local time: refused, naming the field.
    assert.throws(
      () => parseSchedule([{ ...iv(0, 5, 1), start: '2026-12-01T00:00:00' }]),
      /intervals\[0\]\.start: is not a valid time: 2026-12-01T00:00:00 \(.*no time zone/,
    );
    assert.throws(
      () => parseSchedule([{ ...iv(0, 5, 1), end: '2026-02-30T00:00:00Z' }]),
      /intervals\[0\]\.end: is not a valid time: .*does not have/,
    );
    assert.strictEqual(parseSchedule([{ ...iv(0, 5, 1), start: '2026-12-01T01:00:00+01:00' }])[0].start, T0);
    assert.throws(() => parseSingleCommand('boost'), /"boost" is not a command/);
    assert.deepStrictEqual(parseSingleCommand({ command: 'LoadUp', durationSeconds: '60' }), {
      command: 'loadup',
      durationSeconds: 60,
    });
  });

  it('fires at each boundary and says what is due, computed at that moment', () => {
    const clock = new ManualClock(at(-5));
    const fired: Array<[number, string]> = [];
    const runner = new ScheduleRunner(
      () => {
        fired.push([(clock.now() - T0) / 60000, runner.due().command]);
        runner.arm();
      },
      { clock, boundaries: 'block' },
    );
    runner.setSchedule(parseSchedule([iv(0, 15, -1), iv(15, 30, -1), iv(30, 45, 1)]));
    runner.arm();
    assert.strictEqual(runner.due().source, 'none');
    clock.advanceTo(at(60));
    // 'block': the run of two shed intervals is one block, so no boundary at 15.
    assert.deepStrictEqual(fired, [
      [0, 'shed'],
      [30, 'loadup'],
      [45, 'normal'],
    ]);
  });

  it('after a restart mid-schedule the command due now is due, never a past one', () => {
    const blocks = parseSchedule([iv(0, 15, -1), iv(15, 30, 1), iv(30, 45, 0)]);
    // A runner created at minute 20 (a restart) with the stored schedule.
    const clock = new ManualClock(at(20));
    const runner = new ScheduleRunner(() => undefined, { clock });
    runner.setSchedule(blocks);
    assert.deepStrictEqual(runner.due(), { command: 'loadup', until: at(30), source: 'schedule' });
    assert.strictEqual(runner.nextBoundary(), at(30));
  });

  it('a single command overlays the schedule until it ends, then the schedule resumes', () => {
    const clock = new ManualClock(at(0));
    const runner = new ScheduleRunner(() => undefined, { clock, boundaries: 'interval' });
    runner.setSchedule(parseSchedule([iv(0, 30, -1)]));
    runner.manual = { command: 'loadup', until: at(10) };
    assert.strictEqual(runner.due().command, 'loadup');
    assert.strictEqual(runner.nextBoundary(), at(10));
    clock.advanceTo(at(10));
    assert.deepStrictEqual(runner.due(), { command: 'shed', until: at(30), source: 'schedule' });
  });
});
