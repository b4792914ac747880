/**
 * hpwh-dispatch's core on a clock the test moves (ManualClock): boundaries, a restart in the
 * middle of a schedule, the SG-Ready lock limits, and the message shapes.
 */
import assert from 'assert';
import {
  DeviceDispatch,
  DeviceDispatchOptions,
  DispatchEmission,
  LimitWarning,
  parseSetpointConfig,
  parseSgReadyMap,
  setpointAction,
  shapeMessage,
} from '../../../src/device';
import { ManualClock } from '../cta2045/helpers';
import { at, iv, T0 } from './schedule-fixture';

const minutes = (t: number): number => (t - T0) / 60_000;

function rig(options: Partial<DeviceDispatchOptions> = {}, start = at(0)) {
  const clock = new ManualClock(start);
  const d = new DeviceDispatch({ shape: 'command', clock, ...options });
  const out: DispatchEmission[] = [];
  const warnings: LimitWarning[] = [];
  d.on('output', (e: DispatchEmission) => out.push(e));
  d.on('warning', (w: LimitWarning) => warnings.push(w));
  return { clock, d, out, warnings };
}

describe('device dispatch (hpwh-dispatch core)', () => {
  it('emits the command due at once and again at every boundary where it changes', () => {
    const { clock, d, out } = rig();
    d.setSchedule([iv(0, 15, 1), iv(15, 30, 1), iv(30, 60, -1), iv(60, 75, 0)]);
    clock.advanceTo(at(120));
    assert.deepStrictEqual(
      out.map((e) => [e.trigger, e.message.command, e.message.until]),
      [
        ['schedule', 'loadup', new Date(at(30)).toISOString()],
        ['boundary', 'shed', new Date(at(60)).toISOString()],
        ['boundary', 'normal', new Date(at(75)).toISOString()],
        ['boundary', 'normal', null],
      ],
    );
    // The command shape wires into cta2045-out / hpwh-modbus-out: {command, signal, durationSeconds}.
    assert.deepStrictEqual(out[0].message.payload, { command: 'loadup', signal: 1, durationSeconds: 1800 });
    assert.deepStrictEqual(out[1].message.payload, { command: 'shed', signal: -1, durationSeconds: 1800 });
  });

  it('after a restart mid-schedule emits the command due now, never a past one', () => {
    const first = rig();
    first.d.setSchedule([iv(0, 10, 1), iv(10, 40, -1), iv(40, 60, 0)]);
    first.d.stop();
    const memory = first.d.memory();
    // The process comes back at minute 25: the load up of 0-10 is past, the shed is in force.
    const second = rig({}, at(25));
    second.d.restore(JSON.parse(JSON.stringify(memory)));
    assert.deepStrictEqual(
      second.out.map((e) => [e.trigger, e.message.command]),
      [['restart', 'shed']],
    );
    assert.strictEqual(
      (second.out[0].message.payload as { durationSeconds: number }).durationSeconds,
      15 * 60,
    );
    second.clock.advanceTo(at(45));
    assert.deepStrictEqual(
      second.out.map((e) => e.message.command),
      ['shed', 'normal'],
    );
    // Nothing remembered (first start): nothing to say.
    const fresh = rig();
    fresh.d.restore(undefined);
    assert.strictEqual(fresh.out.length, 0);
  });

  it('a single command holds until the next boundary, then the schedule resumes', () => {
    const { clock, d, out } = rig();
    d.setSchedule([iv(0, 30, 0), iv(30, 60, -1)]);
    d.command({ command: 'loadup' });
    clock.advanceTo(at(31));
    assert.deepStrictEqual(
      out.map((e) => [e.trigger, e.message.command]),
      [
        ['schedule', 'normal'],
        ['command', 'loadup'],
        ['boundary', 'shed'],
      ],
    );
  });

  it('SG-Ready: relays per state, a lock cut at its longest and held off for the release time', () => {
    const { clock, d, out, warnings } = rig({
      shape: 'sg-ready',
      sgReadyLimits: { maxLockMs: 120 * 60_000, minReleaseMs: 90 * 60_000 },
    });
    // The plan asks for 3 h of shed, 10 min normal, 1 h shed, then 30 min load up.
    d.setSchedule([iv(0, 180, -1), iv(180, 190, 0), iv(190, 250, -1), iv(250, 280, 1)]);
    const seen: Array<[number, string, number, boolean, boolean, string]> = [];
    d.on('output', (e: DispatchEmission) => {
      const p = e.message.payload as { state: number; relay1: boolean; relay2: boolean; limited?: string };
      seen.push([minutes(clock.now()), e.trigger, p.state, p.relay1, p.relay2, p.limited ?? '']);
    });
    seen.push([0, out[0].trigger, 1, true, false, '']);
    clock.advanceTo(at(400));
    assert.deepStrictEqual(seen, [
      [0, 'schedule', 1, true, false, ''], // utility lock
      [120, 'limit', 2, false, false, 'max-lock'], // cut after 2 h: the plan wanted 3 h
      [180, 'boundary', 2, false, false, ''], // the plan's normal
      [190, 'boundary', 2, false, false, 'min-release'], // 70 min after the lock: too soon
      [210, 'limit', 1, true, false, ''], // 90 min of normal have passed: lock
      [250, 'boundary', 3, false, true, ''], // load up: switch-on recommendation
      [280, 'boundary', 2, false, false, ''], // end of plan
    ]);
    assert.deepStrictEqual(
      warnings.map((w) => [w.kind, w.until === null ? null : minutes(w.until)]),
      [
        ['max-lock', 210],
        ['min-release', 210],
      ],
    );
    // The limited message says what the plan wanted; `command` is what the state stands for.
    assert.strictEqual(
      out[0].message.until,
      new Date(at(120)).toISOString(),
      'the lock is announced until its cut',
    );
    assert.deepStrictEqual(
      [out[1].message.command, out[1].message.signal],
      ['normal', 0],
      'in force: normal',
    );
    assert.deepStrictEqual(out[1].message.payload, {
      state: 2,
      relay1: false,
      relay2: false,
      command: 'normal',
      durationSeconds: 3600,
      limited: 'max-lock',
      planned: 1,
    });
  });

  it('the worked example of docs/devices.md: an evening peak on an SG-Ready heat pump', () => {
    // 15:00 is minute 0 here: load up 15-17, shed 17-20, normal 20-22.
    const { clock, d, out, warnings } = rig({
      shape: 'sg-ready',
      sgReadyLimits: { maxLockMs: 120 * 60_000, minReleaseMs: 60 * 60_000 },
    });
    d.setSchedule([iv(0, 120, 1), iv(120, 300, -1), iv(300, 420, 0)]);
    clock.advanceTo(at(400));
    assert.deepStrictEqual(
      out.map((e) => {
        const p = e.message.payload as { state: number; limited?: string };
        return [e.trigger, p.state, p.limited ?? ''];
      }),
      [
        ['schedule', 3, ''], // 15:00
        ['boundary', 1, ''], // 17:00
        ['limit', 2, 'max-lock'], // 19:00
        ['boundary', 2, ''], // 20:00
      ],
    );
    assert.strictEqual(warnings.length, 1);
  });

  it('set-point: set_temperature with a temperature, set_operation_mode with only a mode; JSON shape', () => {
    const config = parseSetpointConfig({
      entityId: 'water_heater.tank',
      unit: 'F',
      temperatures: { normal: 125, loadup: 140, 'advanced-loadup': 150 },
      modes: { shed: 'eco', loadup: 'high_demand' },
    });
    assert.deepStrictEqual(setpointAction('grid-emergency', config), {
      action: 'water_heater.set_operation_mode',
      target: { entity_id: 'water_heater.tank' },
      data: { operation_mode: 'eco' },
    });
    assert.deepStrictEqual(setpointAction('normal', config).data, { temperature: 125 });
    assert.deepStrictEqual(setpointAction('loadup', config).data, {
      temperature: 140,
      operation_mode: 'high_demand',
    });
    assert.throws(
      () => parseSetpointConfig({ entityId: 'water_heater.tank', temperatures: { normal: 50 } }),
      /temperatures\.shed: give a target temperature or an operation mode/,
    );
    const json = shapeMessage('json', {
      due: { command: 'loadup', until: at(60), source: 'schedule' },
      now: at(0),
      topic: '',
    });
    assert.strictEqual(json.topic, 'hpwh/command');
    assert.deepStrictEqual(json.payload, {
      command: 'loadup',
      signal: 1,
      until: new Date(at(60)).toISOString(),
      source: 'schedule',
      at: new Date(at(0)).toISOString(),
    });
  });

  it('SG-Ready mapping is configurable and checked; set-point config names the field', () => {
    assert.deepStrictEqual(parseSgReadyMap('{"loadup": 4}'), {
      shed: 1,
      normal: 2,
      loadup: 4,
      'advanced-loadup': 4,
    });
    assert.throws(
      () => parseSgReadyMap({ shed: 5 }),
      /sgReadyMap\.shed: must be an operating state 1, 2, 3 or 4/,
    );
    assert.throws(() => parseSgReadyMap({ boost: 1 }), /sgReadyMap\.boost: unknown command/);
    assert.throws(
      () => parseSetpointConfig({ entityId: 'light.kitchen', temperatures: {} }),
      /entityId: must be a water_heater entity id/,
    );
    assert.throws(
      () =>
        parseSetpointConfig({
          entityId: 'water_heater.tank',
          unit: 'C',
          temperatures: { shed: 45, normal: 50, loadup: 160, 'advanced-loadup': 65 },
        }),
      /temperatures\.loadup: must be a temperature in °C between 0 and 100/,
    );
  });
});
