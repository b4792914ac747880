import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { eventsToPriceTimeline, eventSpan, OpenAdrEvent, Program } from '../../../src/openadr/client';
import { packageRoot } from '../../../src';

const H = 3600000;
const iso = (ms: number): string => new Date(ms).toISOString();
const at = (text: string): number => Date.parse(text);

function priceEvent(fields: Partial<OpenAdrEvent> & { prices?: number[] } = {}): OpenAdrEvent {
  const { prices = [0.1, 0.2, 0.3], ...rest } = fields;
  return {
    id: 'e1',
    programID: 'p1',
    eventName: 'prices',
    intervalPeriod: { start: '2026-02-17T19:00:00Z', duration: 'PT1H' },
    payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
    intervals: prices.map((v, i) => ({ id: i, payloads: [{ type: 'PRICE', values: [v] }] })),
    ...rest,
  };
}

const hourly = (startIso: string, prices: number[], ids?: number[]): OpenAdrEvent =>
  priceEvent({
    intervalPeriod: { start: startIso, duration: 'PT1H' },
    intervals: prices.map((v, i) => ({ id: ids ? ids[i] : i, payloads: [{ type: 'PRICE', values: [v] }] })),
  });

describe('eventsToPriceTimeline', () => {
  const early = '2026-01-01T00:00:00Z';

  it('turns the bundled sample event into 13 hourly slots with units, currency and ids', () => {
    const sample = JSON.parse(
      fs.readFileSync(path.join(packageRoot(), 'sample_data', 'event_pricing.json'), 'utf8'),
    ) as OpenAdrEvent;
    const t = eventsToPriceTimeline([{ ...sample, id: '7' }], { now: early });
    assert.strictEqual(t.intervals.length, 13);
    assert.deepStrictEqual(t.intervals[0], {
      start: '2026-02-17T19:00:00.000Z',
      end: '2026-02-17T20:00:00.000Z',
      price: 0.12097,
      currency: 'USD',
      units: 'KWH',
      eventID: '7',
      intervalID: 0,
      eventName: 'etou-dyn-2026-02-17',
      priority: null,
    });
    assert.strictEqual(t.intervals[12].end, '2026-02-18T08:00:00.000Z');
    assert.deepStrictEqual(t.warnings, []);
    assert.strictEqual(t.current, null, 'now is before the event');
    assert.strictEqual(t.nextChange, '2026-02-17T19:00:00.000Z', 'the first price starts next');
  });

  it('drops slots that ended, reports the current price and the next change', () => {
    const t = eventsToPriceTimeline([priceEvent({ prices: [0.1, 0.2, 0.2, 0.3] })], {
      now: '2026-02-17T20:30:00Z',
    });
    assert.deepStrictEqual(
      t.intervals.map((s) => s.price),
      [0.2, 0.2, 0.3],
    );
    assert.strictEqual(t.currentPrice, 0.2);
    assert.strictEqual(t.current?.intervalID, 1);
    assert.strictEqual(
      t.nextChange,
      '2026-02-17T22:00:00.000Z',
      'two equal prices in a row are one price run',
    );
    const all = eventsToPriceTimeline([priceEvent({ prices: [0.1, 0.2, 0.2, 0.3] })], {
      now: '2026-02-17T20:30:00Z',
      includePast: true,
    });
    assert.strictEqual(all.intervals.length, 4);
  });

  it('a spring-forward DST day has 23 hourly intervals: placed by time, not by interval.id', () => {
    // America/Los_Angeles, 2026-03-08: local midnight PST = 08:00Z, next local midnight PDT = 07:00Z.
    // Ids are the local hour, so hour 2 does not exist: 0, 1, 3, 4, … 23.
    const ids = [0, 1, ...Array.from({ length: 21 }, (_, i) => i + 3)];
    const prices = ids.map((id) => 0.1 + id / 100);
    const t = eventsToPriceTimeline([hourly('2026-03-08T08:00:00Z', prices, ids)], { now: early });
    assert.strictEqual(t.intervals.length, 23);
    assert.strictEqual(t.intervals[0].start, '2026-03-08T08:00:00.000Z');
    assert.strictEqual(
      t.intervals[22].end,
      '2026-03-09T07:00:00.000Z',
      'the day ends at the next local midnight',
    );
    const id3 = t.intervals.find((s) => s.intervalID === 3)!;
    assert.strictEqual(
      id3.start,
      '2026-03-08T10:00:00.000Z',
      'id 3 is the third hour (03:00 PDT), not start + 3 h',
    );
    for (let i = 1; i < t.intervals.length; i++)
      assert.strictEqual(t.intervals[i].start, t.intervals[i - 1].end, 'contiguous');
  });

  it('a fall-back DST day has 25 hourly intervals, all kept in order', () => {
    // 2026-11-01: local midnight PDT = 07:00Z, next local midnight PST = 2026-11-02T08:00Z.
    const ids = [0, 1, 1, ...Array.from({ length: 22 }, (_, i) => i + 2)]; // hour 1 happens twice
    const prices = ids.map((_, i) => i);
    const t = eventsToPriceTimeline([hourly('2026-11-01T07:00:00Z', prices, ids)], { now: early });
    assert.strictEqual(t.intervals.length, 25);
    assert.deepStrictEqual(
      t.intervals.map((s) => s.price),
      prices,
    );
    assert.strictEqual(
      t.intervals[2].start,
      '2026-11-01T09:00:00.000Z',
      'the repeated hour 1 gets its own slot',
    );
    assert.strictEqual(t.intervals[24].end, '2026-11-02T08:00:00.000Z');
  });

  it('keeps list order when ids are out of order or repeated (ids are not sequence numbers)', () => {
    const t = eventsToPriceTimeline([hourly('2026-02-17T00:00:00Z', [1, 2, 3], [9, 3, 9])], { now: early });
    assert.deepStrictEqual(
      t.intervals.map((s) => [s.intervalID, s.price, s.start.slice(11, 13)]),
      [
        [9, 1, '00'],
        [3, 2, '01'],
        [9, 3, '02'],
      ],
    );
  });

  it('an interval intervalPeriod overrides the event default (User Guide 7.4 example)', () => {
    const event = priceEvent({
      intervalPeriod: { start: '2023-02-10T00:00:00.000Z', duration: 'PT1H' },
      intervals: [
        { id: 0, payloads: [{ type: 'PRICE', values: [0.17] }] },
        { id: 1, intervalPeriod: { duration: 'PT2H' }, payloads: [{ type: 'PRICE', values: [0.22] }] },
        { id: 2, payloads: [{ type: 'PRICE', values: [0.3] }] },
      ],
    });
    const t = eventsToPriceTimeline([event], { now: '2020-01-01T00:00:00Z' });
    assert.deepStrictEqual(
      t.intervals.map((s) => [s.start.slice(11, 16), s.end.slice(11, 16), s.price]),
      [
        ['00:00', '01:00', 0.17],
        ['01:00', '03:00', 0.22],
        ['03:00', '04:00', 0.3],
      ],
    );
  });

  it('intervals with their own absolute starts leave gaps; nextChange inside a gap is the next start', () => {
    const event = priceEvent({
      intervalPeriod: undefined,
      intervals: [
        {
          id: 0,
          intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' },
          payloads: [{ type: 'PRICE', values: [1] }],
        },
        {
          id: 1,
          intervalPeriod: { start: '2026-02-17T03:00:00Z', duration: 'PT30M' },
          payloads: [{ type: 'PRICE', values: [2] }],
        },
        // no start of its own: follows the previous interval immediately
        { id: 2, intervalPeriod: { duration: 'PT15M' }, payloads: [{ type: 'PRICE', values: [3] }] },
      ],
    });
    const t = eventsToPriceTimeline([event], { now: '2026-02-17T01:30:00Z', includePast: true });
    assert.deepStrictEqual(
      t.intervals.map((s) => [s.start.slice(11, 16), s.end.slice(11, 16)]),
      [
        ['00:00', '01:00'],
        ['03:00', '03:30'],
        ['03:30', '03:45'],
      ],
    );
    assert.strictEqual(t.current, null);
    assert.strictEqual(t.nextChange, '2026-02-17T03:00:00.000Z');
  });

  it('start 0001-01-01 with P9999Y is "now, open-ended"', () => {
    const now = '2026-05-05T12:34:56Z';
    const event = priceEvent({ intervalPeriod: { start: '0001-01-01', duration: 'P9999Y' }, prices: [0.42] });
    const t = eventsToPriceTimeline([event], { now });
    assert.strictEqual(t.intervals.length, 1);
    assert.strictEqual(t.intervals[0].start, '2026-05-05T12:34:56.000Z');
    assert.strictEqual(t.intervals[0].end, '9999-12-31T23:59:59.999Z');
    assert.strictEqual(t.intervals[0].openEnded, true);
    assert.strictEqual(t.currentPrice, 0.42);
    assert.strictEqual(t.nextChange, null, 'an open-ended price never changes');
  });

  it('0001-01-01 on intervals: the first takes the event start, later ones follow the previous', () => {
    const event = priceEvent({
      intervalPeriod: { start: '2026-02-17T05:00:00Z', duration: 'PT1H' },
      intervals: [
        {
          id: 0,
          intervalPeriod: { start: '0001-01-01T00:00:00' },
          payloads: [{ type: 'PRICE', values: [1] }],
        },
        {
          id: 1,
          intervalPeriod: { start: '0001-01-01', duration: 'PT2H' },
          payloads: [{ type: 'PRICE', values: [2] }],
        },
      ],
    });
    const t = eventsToPriceTimeline([event], { now: early });
    assert.deepStrictEqual(
      t.intervals.map((s) => [s.start.slice(11, 16), s.end.slice(11, 16)]),
      [
        ['05:00', '06:00'],
        ['06:00', '08:00'],
      ],
    );
    // Without an event intervalPeriod, a 0001-01-01 first interval means now.
    const now = '2026-02-17T10:15:00Z';
    const doItNow = priceEvent({
      intervalPeriod: undefined,
      intervals: [
        {
          id: 0,
          intervalPeriod: { start: '0001-01-01', duration: 'PT1H' },
          payloads: [{ type: 'PRICE', values: [5] }],
        },
      ],
    });
    assert.strictEqual(
      eventsToPriceTimeline([doItNow], { now }).intervals[0].start,
      '2026-02-17T10:15:00.000Z',
    );
  });

  it('a payload with several values splits its interval evenly (User Guide 7.3 example)', () => {
    const event = priceEvent({
      intervalPeriod: undefined,
      intervals: [
        {
          id: 0,
          intervalPeriod: { start: '2025-06-25T00:00:00.000Z', duration: 'PT3H' },
          payloads: [{ type: 'PRICE', values: [0.17, 0.03, 0.11] }],
        },
        { id: 1, intervalPeriod: { duration: 'PT1H' }, payloads: [{ type: 'PRICE', values: [1, 2, 3, 4] }] },
      ],
    });
    const t = eventsToPriceTimeline([event], { now: '2020-01-01T00:00:00Z' });
    assert.deepStrictEqual(
      t.intervals.map((s) => [s.start.slice(11, 16), s.end.slice(11, 16), s.price, s.intervalID]),
      [
        ['00:00', '01:00', 0.17, 0],
        ['01:00', '02:00', 0.03, 0],
        ['02:00', '03:00', 0.11, 0],
        ['03:00', '03:15', 1, 1],
        ['03:15', '03:30', 2, 1],
        ['03:30', '03:45', 3, 1],
        ['03:45', '04:00', 4, 1],
      ],
    );
  });

  it('overlapping events: the lower priority number wins, the other is cut around it', () => {
    const base = { ...hourly('2026-02-17T00:00:00Z', [1, 1, 1, 1]), id: 'base', priority: 1 };
    const peak = { ...hourly('2026-02-17T01:00:00Z', [9, 9]), id: 'peak', priority: 0 };
    const t = eventsToPriceTimeline([base, peak], { now: early });
    assert.deepStrictEqual(
      t.intervals.map((s) => [s.eventID, s.start.slice(11, 16), s.end.slice(11, 16), s.price]),
      [
        ['base', '00:00', '01:00', 1],
        ['peak', '01:00', '02:00', 9],
        ['peak', '02:00', '03:00', 9],
        ['base', '03:00', '04:00', 1],
      ],
    );
    assert.deepStrictEqual(t.warnings, []);
    // No priority at all is the lowest priority.
    const unprioritised = { ...peak, priority: null };
    const t2 = eventsToPriceTimeline([base, unprioritised], { now: early });
    assert.ok(t2.intervals.every((s) => s.eventID === 'base'));
  });

  it('overlap with a partial interval: the loser keeps the uncovered part of its interval', () => {
    const base = { ...hourly('2026-02-17T00:00:00Z', [1]), id: 'base', priority: 5 };
    const flash = {
      ...priceEvent({ intervalPeriod: { start: '2026-02-17T00:20:00Z', duration: 'PT10M' }, prices: [7] }),
      id: 'flash',
      priority: 2,
    };
    const t = eventsToPriceTimeline([flash, base], { now: early });
    assert.deepStrictEqual(
      t.intervals.map((s) => [s.eventID, s.start.slice(11, 16), s.end.slice(11, 16)]),
      [
        ['base', '00:00', '00:20'],
        ['flash', '00:20', '00:30'],
        ['base', '00:30', '01:00'],
      ],
    );
  });

  it('a priority tie is resolved deterministically (newer event wins) with a warning', () => {
    const older = {
      ...hourly('2026-02-17T00:00:00Z', [1, 1]),
      id: 'a',
      priority: 3,
      modificationDateTime: '2026-02-16T10:00:00Z',
    };
    const newer = {
      ...hourly('2026-02-17T01:00:00Z', [2, 2]),
      id: 'b',
      priority: 3,
      modificationDateTime: '2026-02-16T11:00:00Z',
    };
    const t1 = eventsToPriceTimeline([older, newer], { now: early });
    const t2 = eventsToPriceTimeline([newer, older], { now: early });
    assert.deepStrictEqual(t1.intervals, t2.intervals, 'input order does not matter');
    assert.deepStrictEqual(
      t1.intervals.map((s) => s.price),
      [1, 2, 2],
    );
    assert.strictEqual(t1.warnings.length, 1);
    assert.match(t1.warnings[0], /same priority 3/);
    // Same modification time: the smaller event id wins, still order-independent.
    const x = { ...older, id: 'x', modificationDateTime: undefined };
    const y = { ...newer, id: 'y', modificationDateTime: undefined };
    assert.deepStrictEqual(
      eventsToPriceTimeline([y, x], { now: early }).intervals.map((s) => s.eventID),
      ['x', 'x', 'y'],
    );
  });

  it('units and currency come from the event, else from the program payloadDescriptors', () => {
    const programs: Program[] = [
      {
        id: 'p1',
        programName: 'tou',
        payloadDescriptors: [{ payloadType: 'PRICE', units: 'MWH', currency: 'EUR' }],
      },
    ];
    const bare = priceEvent({ payloadDescriptors: undefined });
    const fromProgram = eventsToPriceTimeline([bare], { now: early, programs }).intervals[0];
    assert.deepStrictEqual([fromProgram.units, fromProgram.currency], ['MWH', 'EUR']);
    const fromEvent = eventsToPriceTimeline([priceEvent()], { now: early, programs }).intervals[0];
    assert.deepStrictEqual([fromEvent.units, fromEvent.currency], ['KWH', 'USD']);
    const none = eventsToPriceTimeline([bare], { now: early }).intervals[0];
    assert.deepStrictEqual([none.units, none.currency], [null, null]);
  });

  it('reads openleadr-rs durations and zone-less starts', () => {
    const event = priceEvent({
      intervalPeriod: { start: '2026-02-18 21:00:00', duration: 'P0Y0M0DT1H0M0S' },
      prices: [1, 2],
    });
    const t = eventsToPriceTimeline([event], { now: early });
    assert.deepStrictEqual(
      t.intervals.map((s) => [s.start, s.end]),
      [
        ['2026-02-18T21:00:00.000Z', '2026-02-18T22:00:00.000Z'],
        ['2026-02-18T22:00:00.000Z', '2026-02-18T23:00:00.000Z'],
      ],
    );
  });

  it('event.duration (3.1.0) loops the intervals or cuts them short', () => {
    const looped = priceEvent({
      prices: [1, 2],
      duration: 'PT5H',
      intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' },
    });
    assert.deepStrictEqual(
      eventsToPriceTimeline([looped], { now: early }).intervals.map((s) => [s.start.slice(11, 13), s.price]),
      [
        ['00', 1],
        ['01', 2],
        ['02', 1],
        ['03', 2],
        ['04', 1],
      ],
    );
    const cut = priceEvent({
      prices: [1, 2, 3, 4],
      duration: 'PT90M',
      intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' },
    });
    assert.deepStrictEqual(
      eventsToPriceTimeline([cut], { now: early }).intervals.map((s) => [
        s.start.slice(11, 16),
        s.end.slice(11, 16),
      ]),
      [
        ['00:00', '01:00'],
        ['01:00', '01:30'],
      ],
    );
  });

  it('event.duration P9999Y repeats a daily tariff forever, unrolled around now', () => {
    const tariff = priceEvent({
      prices: Array.from({ length: 24 }, (_, h) => h),
      duration: 'P9999Y',
      intervalPeriod: { start: '2025-01-01T00:00:00Z', duration: 'PT1H' },
    });
    const now = '2026-02-17T10:30:00Z';
    const t = eventsToPriceTimeline([tariff], { now, loopHorizon: 'P1D' });
    assert.strictEqual(t.currentPrice, 10, 'hour 10 of the repeated day');
    assert.strictEqual(t.intervals[0].start, '2026-02-17T10:00:00.000Z');
    assert.ok(Date.parse(t.intervals.at(-1)!.end) >= at(now) + 24 * H);
    assert.ok(t.warnings.some((w) => /unrolled only up to/.test(w)));
  });

  it('a zero-length (cancelled) event and non-PRICE payloads produce no slots', () => {
    const cancelled = priceEvent({ intervalPeriod: { start: '0001-01-01', duration: 'PT0S' } });
    const ghg = priceEvent({ intervals: [{ id: 0, payloads: [{ type: 'GHG', values: [300] }] }] });
    assert.deepStrictEqual(eventsToPriceTimeline([cancelled, ghg], { now: early }).intervals, []);
    const ghgTimeline = eventsToPriceTimeline([ghg], { now: early, payloadType: 'GHG' });
    assert.strictEqual(ghgTimeline.intervals[0].price, 300);
  });

  it('skips broken events with warnings that name the field, keeping the good ones', () => {
    const good = { ...priceEvent({ prices: [1] }), id: 'good' };
    const badDuration = {
      ...priceEvent({ intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'one hour' } }),
      eventName: 'bad-duration',
    };
    const noStart = { ...priceEvent({ intervalPeriod: { duration: 'PT1H' } }), eventName: 'no-start' };
    const noIntervals = { id: 'x', programID: 'p1', eventName: 'no-intervals' };
    const badValue = {
      ...priceEvent({ intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: ['cheap'] }] }] }),
      eventName: 'bad-value',
    };
    const t = eventsToPriceTimeline([good, badDuration, noStart, noIntervals, 42, badValue], { now: early });
    assert.deepStrictEqual(
      t.intervals.map((s) => s.eventID),
      ['good'],
    );
    const text = t.warnings.join('\n');
    assert.match(
      text,
      /"bad-duration" skipped: intervals\[0\]\.intervalPeriod\.duration is not an ISO 8601 duration/,
    );
    assert.match(text, /"no-start" skipped: no start time/);
    assert.match(text, /"no-intervals" skipped: intervals is missing/);
    assert.match(text, /events\[4\] skipped: not an object/);
    assert.match(text, /"bad-value" intervals\[0\]: PRICE value "cheap" is not a number/);
    assert.throws(() => eventsToPriceTimeline({} as unknown as OpenAdrEvent[]), /events must be an array/);
    assert.throws(() => eventsToPriceTimeline([], { now: 'yesterday' }), /options\.now is not a date-time/);
  });

  it('reads numeric strings as prices (some servers quote numbers)', () => {
    const t = eventsToPriceTimeline(
      [priceEvent({ intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: ['0.25'] }] }] })],
      { now: early },
    );
    assert.strictEqual(t.intervals[0].price, 0.25);
  });

  it('eventSpan gives the lifespan whatever the payloads', () => {
    const span = eventSpan(priceEvent({ prices: [1, 2, 3] }));
    assert.deepStrictEqual(span && [iso(span.start), iso(span.end)], [
      '2026-02-17T19:00:00.000Z',
      '2026-02-17T22:00:00.000Z',
    ]);
    assert.strictEqual(
      eventSpan(
        priceEvent({ intervalPeriod: { start: '2026-01-01T00:00:00Z', duration: 'P9999Y' }, prices: [1] }),
      )?.end,
      Infinity,
    );
    assert.strictEqual(eventSpan({ programID: 'x' } as OpenAdrEvent), undefined);
  });
});
