import assert from 'assert';
import fs from 'fs';
import path from 'path';
import {
  drawForIntervals,
  packageRoot,
  paramsForTimeline,
  planFrom,
  PriceInterval,
  RESIDENTIAL_DRAW_SHAPE,
  scheduleLp,
  scheduleTimeline,
  toPriceTimeline,
} from '../../../src';
import { intervalDurationMs } from '../../../src/scheduling/timeline';

const hourly = (start: string, prices: number[]): PriceInterval[] =>
  toPriceTimeline(prices, { start, intervalHours: 1 });

describe('scheduling: timelines, draw profiles and planFrom', () => {
  it('reads the reference implementation’s OpenADR event (sample_data/event_pricing.json)', () => {
    const event = JSON.parse(
      fs.readFileSync(path.join(packageRoot(), 'sample_data', 'event_pricing.json'), 'utf8'),
    );
    const t = toPriceTimeline(event);
    assert.strictEqual(t.length, 13);
    assert.deepStrictEqual(t[0], {
      start: '2026-02-17T19:00:00.000Z',
      end: '2026-02-17T20:00:00.000Z',
      price: 0.12097,
      currency: 'USD',
      units: 'KWH',
      intervalID: 0,
    });
    assert.strictEqual(t[12].end, '2026-02-18T08:00:00.000Z');
  });

  it('reads timelines and plain price arrays; rejects what it cannot use, naming it', () => {
    const t = hourly('2026-03-01T00:00:00Z', [0.1, 0.2]);
    assert.deepStrictEqual(t[1], {
      start: '2026-03-01T01:00:00.000Z',
      end: '2026-03-01T02:00:00.000Z',
      price: 0.2,
    });
    const q = toPriceTimeline([1, 2], { start: '2026-03-01T00:00:00Z', intervalHours: 0.25 });
    assert.strictEqual(q[1].end, '2026-03-01T00:30:00.000Z');
    const round = toPriceTimeline(t.map((i) => ({ ...i, eventID: 'e1', intervalID: 3 })));
    assert.strictEqual(round[0].eventID, 'e1');
    assert.throws(() => toPriceTimeline([]), /price list is empty/);
    assert.throws(() => toPriceTimeline('x'), /msg.payload must be a price timeline/);
    assert.throws(
      () => toPriceTimeline([{ start: 'x', end: t[0].end, price: 1 }]),
      /msg.payload\[0\].start must be a date/,
    );
    assert.throws(
      () => toPriceTimeline([{ ...t[0], price: '1' }]),
      /msg.payload\[0\].price must be a finite number/,
    );
    assert.throws(() => toPriceTimeline([t[0], { ...t[1], start: '2026-03-01T00:30:00Z' }]), /overlap/);
    assert.throws(
      () => toPriceTimeline({ intervals: [{ id: 0, payloads: [] }] }),
      /no intervalPeriod.duration/,
    );
  });

  it('parses ISO-8601 durations', () => {
    assert.strictEqual(intervalDurationMs('PT1H'), 3_600_000);
    assert.strictEqual(intervalDurationMs('PT15M'), 900_000);
    assert.strictEqual(intervalDurationMs('P1DT30S'), 86_430_000);
    assert.throws(() => intervalDurationMs('P1M'), /not an ISO-8601 duration/);
    assert.throws(() => intervalDurationMs('PT'), /not an ISO-8601 duration/);
  });

  it('draw profiles: a day sums to the daily draw at any interval length; residential peaks in the morning', () => {
    const day = (hours: number) =>
      toPriceTimeline(new Array(24 / hours).fill(0.1), {
        start: '2026-03-01T00:00:00Z',
        intervalHours: hours,
      });
    for (const profile of ['flat', 'residential'] as const) {
      for (const hours of [1, 0.25, 3]) {
        const total = drawForIntervals(day(hours), profile, 10, 'UTC').reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(total - 10) < 1e-9, `${profile} ${hours}: ${total}`);
      }
    }
    const hourlyDraw = drawForIntervals(day(1), 'residential', 10, 'UTC');
    assert.ok(hourlyDraw[7] > 4 * hourlyDraw[3]);
    assert.ok(Math.abs(RESIDENTIAL_DRAW_SHAPE.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    // Local hours: 07:00 in Los Angeles on 1 March (PST, UTC−8) is 15:00 UTC.
    const la = drawForIntervals(day(1), 'residential', 10, 'America/Los_Angeles');
    assert.strictEqual(la[15], hourlyDraw[7]);
    assert.throws(
      () => drawForIntervals(day(1), 'residential', 10, 'Mars/Olympus'),
      /not a known IANA time zone/,
    );
    assert.throws(() => drawForIntervals(day(1), 'weekly' as never, 10), /"flat" or "residential"/);
  });

  it('paramsForTimeline: output limits follow each interval’s length', () => {
    const t = [
      ...hourly('2026-03-01T00:00:00Z', [0.1]),
      ...toPriceTimeline([0.2], { start: '2026-03-01T01:00:00Z', intervalHours: 0.25 }),
    ];
    const p = paramsForTimeline(t, { maxOutputKw: 4, drawProfile: 'flat', dailyDrawKwh: 24 }, 5);
    assert.deepStrictEqual(p.maxInput, [4, 1]);
    assert.deepStrictEqual(p.load, [1, 0.25]);
    assert.strictEqual(p.maxStorage, 12);
    assert.throws(
      () => paramsForTimeline(t, { reserveKwh: 20 }, 5),
      /reserveKwh: \(20\) must be <= capacityKwh/,
    );
    assert.throws(() => paramsForTimeline(t, { cop: 0 }, 5), /cop: must be a number > 0/);
    assert.throws(() => paramsForTimeline(t, {}, 5, [1]), /load: must have 2 values/);
  });

  it('scheduleTimeline: the pipeline’s payload shape, signals included', () => {
    const t = hourly('2026-03-01T00:00:00Z', [0.3, 0.1, 0.3, 0.3, 0.3, 0.3, 0.3]);
    const params = paramsForTimeline(t, { drawProfile: 'flat', dailyDrawKwh: 24 }, 1);
    const s = scheduleTimeline(t, params, { algorithm: 'lp' });
    assert.deepStrictEqual(Object.keys(s.intervals[0]).sort(), [
      'control',
      'cost',
      'end',
      'load',
      'price',
      'signal',
      'soc',
      'start',
    ]);
    const direct = scheduleLp(params);
    assert.deepStrictEqual(
      s.intervals.map((i) => i.control),
      direct.control,
    );
    assert.strictEqual(s.totalCost, direct.totalCost);
    assert.strictEqual(s.intervals[1].signal, 2, 'the cheap hour heats at full power');
    assert.strictEqual(s.intervals[3].signal, -1);
    assert.strictEqual(s.algorithm, 'lp');
    assert.strictEqual(s.engine, 'exact');
  });

  it('planFrom: drops ended intervals, starts the current one now, re-plans from the tank level', () => {
    const t = hourly('2026-03-01T00:00:00Z', [0.3, 0.1, 0.3, 0.05, 0.3]);
    const load = [1, 1, 1, 1, 1];
    const plan = planFrom('2026-03-01T01:30:00Z', t, { soc: 3, load, heater: { maxOutputKw: 4 } });
    assert.strictEqual(plan.intervals.length, 4);
    assert.strictEqual(plan.current?.start, '2026-03-01T01:30:00.000Z');
    assert.strictEqual(plan.current?.end, '2026-03-01T02:00:00.000Z');
    assert.strictEqual(plan.current?.load, 0.5, 'half the hour is left');
    assert.ok(plan.current!.control <= 2, 'half the hour of output at most');
    assert.strictEqual(plan.initialSoc, 3);
    // Before the horizon starts nothing is current; after it ends there is nothing to plan.
    assert.strictEqual(planFrom('2026-02-28T23:00:00Z', t, { soc: 3, load }).current, null);
    assert.throws(() => planFrom('2026-03-02T00:00:00Z', t, { soc: 3 }), /every interval has ended/);
    assert.throws(
      () => planFrom('2026-03-01T01:30:00Z', t, { soc: NaN }),
      /soc: must be the tank's current energy/,
    );
    assert.throws(() => planFrom('soon', t, { soc: 3 }), /now must be a date/);
  });

  it('planFrom with finalSoc keeps energy for the next horizon', () => {
    const t = hourly('2026-03-01T00:00:00Z', [0.1, 0.1, 0.3, 0.3]);
    const drained = planFrom('2026-03-01T00:00:00Z', t, { soc: 6, heater: { drawProfile: 'flat' } });
    const kept = planFrom('2026-03-01T00:00:00Z', t, {
      soc: 6,
      finalSoc: 6,
      heater: { drawProfile: 'flat' },
    });
    assert.ok(drained.intervals[3].soc < 6);
    assert.ok(kept.intervals[3].soc >= 6 - 1e-9);
  });
});
