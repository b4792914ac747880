/**
 * The fixed corpus of hostile messages: the same hostile shapes for every node type, plus
 * each node's own valid messages (which must produce an output) and near-misses of them
 * (a valid message with one field made absurd). A case's `expect` is checked when given;
 * otherwise any of output, Catch or a documented drop is fine, as long as it happens in time and
 * the status says what happened.
 */
import type { MessageSpec, SubjectType, ValueSpec } from './support/fuzz-red';
import { PROGRAM } from './support/fuzz-red';

export interface FuzzCase {
  name: string;
  /** A message description, built inside Node-RED (hostile values that JSON cannot carry). */
  msg?: MessageSpec;
  /** Or raw JSON text posted over HTTP and parsed by Node-RED's `http in` (msg.payload = it). */
  raw?: string;
  /** msg.topic for a `raw` case. */
  topic?: string;
  /** What must happen: an output, a Catch (with a message matching `error`), or done() (a Complete node sees it). */
  expect?: 'output' | 'catch' | 'done';
  error?: RegExp;
}

const json = (value: unknown): ValueSpec => ({ kind: 'json', value });

/** Raw JSON nested `depth` levels: what a hostile HTTP body parses into. */
export function deepJson(depth: number, open = '{"a":', close = '}'): string {
  return `${open.repeat(depth)}1${close.repeat(depth)}`;
}

/** The hostile shapes every node type gets. */
export function commonCases(): FuzzCase[] {
  return [
    {
      name: 'payload nested 10,000 levels (objects, built in process)',
      msg: { payload: { kind: 'deep', depth: 10000 } },
    },
    { name: 'payload nested 10,000 levels (arrays)', msg: { payload: { kind: 'deepArray', depth: 10000 } } },
    { name: 'payload nested 10,000 levels as an HTTP body', raw: deepJson(10000) },
    { name: 'payload of arrays nested 10,000 levels as an HTTP body', raw: deepJson(10000, '[', ']') },
    { name: 'payload with a throwing getter', msg: { payload: { kind: 'getter', name: 'intervals' } } },
    {
      name: 'schedule-like payload with a throwing getter',
      msg: { payload: { kind: 'getter', name: 'extra', base: { intervals: [], command: 'shed' } } },
    },
    { name: 'message property with a throwing getter', msg: { payload: json('shed'), msgGetter: 'extra' } },
    { name: 'circular payload', msg: { payload: { kind: 'circular' } } },
    { name: 'BigInt values', msg: { payload: { kind: 'bigint' } } },
    { name: 'null payload', msg: { payload: json(null) } },
    { name: 'no payload', msg: {} },
    { name: 'boolean payload', msg: { payload: json(true) } },
    { name: 'number payload', msg: { payload: json(-1) } },
    { name: 'NaN payload', msg: { payload: { kind: 'nan' } } },
    { name: '-Infinity payload', msg: { payload: { kind: 'infinity' } } },
    { name: 'empty string', msg: { payload: json('') } },
    { name: 'unknown command string', msg: { payload: json('self-destruct') } },
    { name: '1 MB string', msg: { payload: { kind: 'bigString', length: 1024 * 1024 } } },
    { name: '100,000-element array', msg: { payload: { kind: 'bigArray', length: 100000 } } },
    { name: 'array of nulls', msg: { payload: json([null, null, null]) } },
    { name: 'empty object', msg: { payload: json({}) } },
    { name: '__proto__ / constructor keys', msg: { payload: { kind: 'proto' } } },
    {
      name: '__proto__ keys as an HTTP body',
      raw: '{"__proto__":{"polluted":true},"intervals":[{"__proto__":1}]}',
    },
    { name: 'unknown topic', msg: { topic: 'reboot-everything', payload: json({ operation: 'drop' }) } },
    { name: 'topic of the wrong type', msg: { topic: 42, payload: json({}) } },
    {
      name: 'wrong types everywhere',
      msg: {
        topic: ['x'],
        payload: json({ intervals: 'many', command: 7, durationSeconds: 'forever', start: {}, price: [] }),
        props: {
          soc: json('full'),
          load: json({}),
          params: json('fast'),
          start: json(-5),
          operation: json(['x']),
        },
      },
    },
    {
      name: 'intervals with absurd fields',
      msg: {
        payload: json({
          intervals: [
            { start: 'yesterday', end: 1e308, signal: 'loud', price: 'free' },
            { start: '2026-13-45T99:99:99Z', end: null, signal: 7 },
          ],
        }),
      },
    },
  ];
}

function isoIn(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

/** A valid schedule in the schedulers' output shape, starting `startOffsetMs` from now. */
export function validSchedule(
  n = 6,
  startOffsetMs = -30 * 60_000,
  stepMs = 3600_000,
): Record<string, unknown> {
  const start = Date.now() + startOffsetMs;
  return {
    intervals: Array.from({ length: n }, (_, i) => ({
      start: new Date(start + i * stepMs).toISOString(),
      end: new Date(start + (i + 1) * stepMs).toISOString(),
      price: 0.1 + 0.02 * (i % 3),
      control: i % 2 ? 4.5 : 0,
      cost: 0.01,
      soc: 6,
      signal: [-1, 0, 1, 2][i % 4],
    })),
    totalCost: 0.5,
    baselineCost: 0.6,
    converged: true,
    algorithm: 'lp',
  };
}

/** The sample price event, moved to start at the top of the current hour. */
export function validEvent(): Record<string, unknown> {
  const start = new Date();
  start.setUTCMinutes(0, 0, 0);
  return {
    eventName: 'fuzz-event',
    programID: 'PROGRAM_ID_PLACEHOLDER',
    intervalPeriod: { start: start.toISOString(), duration: 'PT1H' },
    payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
    intervals: Array.from({ length: 24 }, (_, i) => ({
      id: i,
      payloads: [{ type: 'PRICE', values: [0.1 + 0.01 * (i % 5)] }],
    })),
  };
}

export function validTelemetry(): Record<string, unknown> {
  return {
    time: new Date().toISOString(),
    operatingState: 'Idle Normal',
    energyTakeWh: 6000,
    energyStoredWh: 6000,
    capacityWh: 12000,
    powerW: 0,
    customerOverride: false,
  };
}

/** Each node's own cases: valid ones first (they must produce an output), then near-misses. */
export function nodeCases(type: SubjectType): FuzzCase[] {
  const prices = [0.12, 0.1, 0.3, 0.25, 0.08, 0.15, 0.2, 0.11];
  switch (type) {
    case 'hpwh-chart':
      return [
        { name: 'valid schedule', msg: { payload: json(validSchedule(24)) }, expect: 'output' },
        { name: 'schedule with 10,000 intervals', msg: { payload: json(validSchedule(10000, 0, 60_000)) } },
        {
          name: 'schedule with NaN prices',
          msg: { payload: json({ intervals: [{ start: isoIn(0), end: isoIn(1), price: 'NaN' }] }) },
        },
        {
          name: 'params of the wrong shape',
          msg: {
            payload: json(validSchedule(3)),
            props: { params: json({ maxInput: 'x', minStorage: {} }) },
          },
        },
      ];
    case 'olivine-prices':
      return [{ name: 'fetch trigger', msg: { payload: json('go') }, expect: 'output' }];
    case 'hpwh-lp-scheduler':
    case 'hpwh-heuristic-scheduler':
      return [
        {
          name: 'valid price array',
          msg: { payload: json(prices), props: { start: json(isoIn(-60_000)) } },
          expect: 'output',
        },
        { name: 'tank level only', msg: { props: { soc: json(5) } } },
        {
          name: 'absurd tank level only (1e12 kWh)',
          msg: { props: { soc: json(1e12) } },
          expect: 'catch',
          error: /msg\.soc/,
        },
        {
          name: 'absurd tank level with prices',
          msg: { payload: json(prices), props: { soc: json(1e12) } },
          expect: 'catch',
          error: /msg\.soc/,
        },
        {
          name: 'negative tank level',
          msg: { payload: json(prices), props: { soc: json(-3) } },
          expect: 'catch',
          error: /msg\.soc/,
        },
        {
          name: '100,000 prices',
          msg: { payload: { kind: 'bigArray', length: 100000 } },
          ...(type === 'hpwh-heuristic-scheduler' ? { expect: 'catch' as const, error: /intervals/ } : {}),
        },
        { name: 'prices with NaN', msg: { payload: json([0.1, 'NaN', null, 0.2]) } },
        {
          name: 'load of the wrong length',
          msg: { payload: json(prices), props: { load: json([1, 2]) } },
          expect: 'catch',
          error: /msg\.load/,
        },
        {
          name: 'params with absurd values',
          msg: {
            props: { params: json({ price: [1, 2], load: [1e308, -1e308], maxStorage: -1, maxInput: 'x' }) },
          },
          expect: 'catch',
        },
        {
          name: 'telemetry without a tank level',
          msg: { payload: json({ operatingState: 'Idle', energyStoredWh: null }) },
        },
      ];
    case 'cta2045-out':
      return [
        { name: 'valid schedule', msg: { payload: json(validSchedule(6)) }, expect: 'output' },
        { name: 'shed', msg: { payload: json('shed') } },
        {
          name: 'load up for 1e308 s',
          msg: { payload: json({ command: 'loadup', durationSeconds: 1e308 }) },
          expect: 'catch',
          error: /durationSeconds/,
        },
        {
          name: 'load up for a negative time',
          msg: { payload: json({ command: 'loadup', durationSeconds: -5 }) },
          expect: 'catch',
          error: /durationSeconds/,
        },
        {
          name: 'unknown command',
          msg: { payload: json({ command: 'overdrive' }) },
          expect: 'catch',
          error: /command/,
        },
        {
          name: 'upstream not a boolean',
          msg: { topic: 'upstream', payload: json('yes') },
          expect: 'catch',
          error: /upstream/,
        },
        {
          name: 'schedule of 100,000 intervals',
          msg: { payload: json(validSchedule(100000, 0, 60_000)) },
          expect: 'catch',
          error: /intervals/,
        },
        {
          name: 'schedule with a 1e308 end',
          msg: { payload: json({ intervals: [{ start: isoIn(0), end: 1e308, signal: 1 }] }) },
          expect: 'catch',
        },
        { name: 'poll', msg: { payload: json('poll') }, expect: 'done' },
        { name: 'valid schedule again', msg: { payload: json(validSchedule(6)) }, expect: 'output' },
      ];
    case 'openadr3-vtn':
      return [
        {
          name: 'valid program',
          msg: { topic: 'program', payload: json({ programName: 'fuzz-vtn-program' }) },
          expect: 'output',
        },
        {
          name: 'unknown operation',
          msg: {
            topic: 'program',
            payload: json({ programName: 'x', operation: 'x' }),
            props: { operation: json('drop-table') },
          },
          expect: 'catch',
        },
        {
          name: 'delete without id',
          msg: { topic: 'event', props: { operation: json('delete') }, payload: json({}) },
          expect: 'catch',
        },
        {
          name: 'update of a missing id',
          msg: {
            topic: 'program',
            props: { operation: json('update') },
            payload: json({ id: 'nope', programName: 'x' }),
          },
          expect: 'catch',
        },
        {
          name: 'event for a missing program',
          msg: { topic: 'event', payload: json({ programID: 'missing', intervals: [] }) },
          expect: 'catch',
        },
        {
          name: 'program nested 10,000 levels as an HTTP body',
          topic: 'program',
          raw: deepJson(10000),
          expect: 'catch',
        },
        {
          name: 'program with a deeply nested extension',
          topic: 'program',
          raw: `{"programName":"deep2","x":${deepJson(200)}}`,
          expect: 'catch',
          error: /deep/,
        },
        {
          name: 'program with a throwing getter',
          msg: { topic: 'program', payload: { kind: 'getter', name: 'programName' } },
          expect: 'catch',
        },
        {
          name: 'program name of 1 MB',
          msg: {
            topic: 'program',
            payload: { kind: 'getter', name: 'x', base: { programName: 'y'.repeat(1024 * 1024) } },
          },
          expect: 'catch',
        },
        {
          name: 'valid program again',
          msg: { topic: 'program', payload: json({ programName: 'fuzz-vtn-program' }) },
          expect: 'output',
        },
      ];
    case 'hpwh-modbus-out':
      return [
        { name: 'shed', msg: { payload: json('shed') }, expect: 'done' },
        { name: 'valid schedule', msg: { payload: json(validSchedule(6)) }, expect: 'done' },
        {
          name: 'load up for 1e308 s',
          msg: { payload: json({ command: 'loadup', durationSeconds: 1e308 }) },
          expect: 'catch',
          error: /durationSeconds/,
        },
        {
          name: 'load up for NaN s',
          msg: { payload: json({ command: 'loadup', durationSeconds: 'NaN' }) },
          expect: 'catch',
          error: /durationSeconds/,
        },
        {
          name: 'schedule of 100,000 intervals',
          msg: { payload: json(validSchedule(100000, 0, 60_000)) },
          expect: 'catch',
          error: /intervals/,
        },
        { name: 'normal', msg: { payload: json('normal') }, expect: 'done' },
      ];
    case 'hpwh-dispatch':
      return [
        { name: 'valid schedule', msg: { payload: json(validSchedule(6)) }, expect: 'output' },
        { name: 'shed', msg: { payload: json('shed') }, expect: 'output' },
        {
          name: 'load up for 1e308 s',
          msg: { payload: json({ command: 'loadup', durationSeconds: 1e308 }) },
          expect: 'catch',
          error: /durationSeconds/,
        },
        {
          name: 'overlapping intervals',
          msg: {
            payload: json({
              intervals: [
                { start: isoIn(0), end: isoIn(120_000), signal: 0 },
                { start: isoIn(60_000), end: isoIn(180_000), signal: -1 },
              ],
            }),
          },
          expect: 'catch',
          error: /intervals\[1\]\.start: overlaps/,
        },
        {
          name: 'schedule of 100,000 intervals',
          msg: { payload: json(validSchedule(100000, 0, 60_000)) },
          expect: 'catch',
          error: /intervals/,
        },
        { name: 'a number', msg: { payload: json(42) }, expect: 'catch', error: /msg\.payload/ },
        { name: 'valid schedule again', msg: { payload: json(validSchedule(6)) }, expect: 'output' },
      ];
    case 'openadr3-ven':
      return [{ name: 'poll trigger', msg: { payload: json('go') }, expect: 'output' }];
    case 'openadr3-local-price': {
      const slots = prices.map((price, h) => ({
        start: isoIn(h * 3_600_000),
        end: isoIn((h + 1) * 3_600_000),
        price,
        currency: 'USD',
        units: 'KWH',
      }));
      const emissions = prices.map((_, h) => ({ start: isoIn(h * 3_600_000), duration: 'PT1H', value: 300 }));
      return [
        { name: 'valid price timeline', msg: { payload: json(slots) }, expect: 'output' },
        {
          name: 'price timeline with emissions',
          msg: { payload: json(slots), props: { emissions: json(emissions) } },
          expect: 'output',
        },
        {
          name: 'emissions with absurd values',
          msg: { payload: json(slots), props: { emissions: json([{ start: 'then', value: -1e308 }]) } },
          expect: 'catch',
          error: /emissions\[0\]/,
        },
        {
          name: 'a negative price per ton',
          msg: { props: { dollarsPerTon: json(-5) } },
          expect: 'catch',
          error: /dollarsPerTon/,
        },
        {
          name: 'a price timeline of 10,001 slots',
          msg: { payload: json(Array.from({ length: 10_001 }, () => slots[0])) },
          expect: 'catch',
          error: /maxScheduleIntervals/,
        },
        { name: 'valid price timeline again', msg: { payload: json(slots) }, expect: 'output' },
      ];
    }
    case 'openadr3-publish':
      return [
        { name: 'valid event', msg: { payload: json(validEvent()) }, expect: 'output' },
        { name: 'valid program', msg: { payload: json({ programName: PROGRAM }) }, expect: 'output' },
        {
          name: 'event with absurd intervals',
          msg: { payload: json({ ...validEvent(), intervals: [{ id: 'x', payloads: 'many' }] }) },
          expect: 'catch',
        },
        {
          name: 'event with a throwing getter in an interval',
          msg: { payload: { kind: 'getter', name: 'eventName', base: validEvent() } },
          expect: 'catch',
        },
        {
          name: 'event with a deeply nested descriptor',
          raw: JSON.stringify(validEvent()).replace(
            '"payloadDescriptors":',
            `"x":${deepJson(200)},"payloadDescriptors":`,
          ),
          expect: 'catch',
          error: /deep/,
        },
        { name: 'valid event again', msg: { payload: json(validEvent()) }, expect: 'output' },
      ];
    case 'openadr3-report':
      return [
        { name: 'telemetry', msg: { payload: json(validTelemetry()) }, expect: 'output' },
        {
          name: 'telemetry with an absurd time',
          msg: { payload: json({ ...validTelemetry(), time: 'noon' }) },
          expect: 'catch',
          error: /time/,
        },
        {
          name: 'telemetry with a deeply nested device',
          raw: JSON.stringify({ ...validTelemetry(), device: 'DEVICE' }).replace('"DEVICE"', deepJson(200)),
          expect: 'catch',
          error: /deep/,
        },
        { name: 'telemetry again', msg: { payload: json(validTelemetry()) }, expect: 'output' },
      ];
  }
}
