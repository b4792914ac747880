import assert from 'assert';
import fs from 'fs';
import {
  DEFAULT_PRICE_RANGE,
  detectPriceShape,
  parseOlivinePrices,
  pricesToOpenAdrEvent,
} from '../../../src/pricing/olivine';
import {
  LIVE_FILE,
  live,
  liveFromSimple,
  liveIntervals,
  mutate,
  sampleEvent,
  simple,
  SIMPLE_FILE,
} from './olivine-fixtures';

const H = 3_600_000;

describe('unit: Olivine prices, accepted inputs', () => {
  describe('the live response (etou-dyn-24h.json)', () => {
    const parsed = parseOlivinePrices(fs.readFileSync(LIVE_FILE, 'utf8'));

    it('is detected as the live shape and keeps its eventID', () => {
      assert.strictEqual(parsed.shape, 'live');
      assert.strictEqual(parsed.eventID, 'PUC-paced-etou-dyn-2026-02-18');
    });

    it('lays the 24 hourly intervals end to end from dtstart', () => {
      const raw = liveIntervals(live());
      assert.strictEqual(parsed.intervals.length, 24);
      assert.strictEqual(parsed.start, '2026-02-19T05:00:00Z');
      assert.strictEqual(parsed.end, '2026-02-20T05:00:00Z');
      const t0 = Date.parse('2026-02-19T05:00:00Z');
      parsed.intervals.forEach((interval, i) => {
        assert.strictEqual(Date.parse(interval.start), t0 + i * H);
        assert.strictEqual(Date.parse(interval.end), t0 + (i + 1) * H);
        assert.strictEqual(interval.price, raw[i].streamPayloadBase[0].item.value);
        assert.match(interval.start, /Z$/);
      });
    });

    it('parses the vtnComment, splitting each pair on the first colon only', () => {
      assert.deepStrictEqual(parsed.metadata, {
        BindingPrices: true,
        LocalPrice: false,
        RetailerLong: 'Pacific Utility Company',
        RateNameLong: 'E-TOU Dynamic',
        DateAnnounced: '2020-01-01',
        DateStart: '2020-06-01',
        URL: 'http://www.example.org/PUC/paced-etou-dyn',
      });
      assert.deepStrictEqual(parsed.warnings, []);
    });

    it('accepts the body as text, bytes or parsed JSON alike', () => {
      assert.deepStrictEqual(parseOlivinePrices(fs.readFileSync(LIVE_FILE)), parsed);
      assert.deepStrictEqual(parseOlivinePrices(live()), parsed);
    });

    it('accepts other counts of intervals (13 and 15 are seen before next-day prices are out)', () => {
      for (const count of [13, 15, 1]) {
        const body = mutate(live, (b) => liveIntervals(b).splice(count));
        const p = parseOlivinePrices(body);
        assert.strictEqual(p.intervals.length, count);
        assert.strictEqual(Date.parse(p.end) - Date.parse(p.start), count * H);
      }
    });

    it('lets each interval have its own length; each starts where the previous ended', () => {
      const body = mutate(live, (b) => {
        liveIntervals(b)[0].duration.duration = 'PT30M';
        liveIntervals(b)[1].duration.duration = 'PT2H';
      });
      const p = parseOlivinePrices(body);
      assert.strictEqual(p.intervals[0].end, '2026-02-19T05:30:00Z');
      assert.strictEqual(p.intervals[1].start, '2026-02-19T05:30:00Z');
      assert.strictEqual(p.intervals[1].end, '2026-02-19T07:30:00Z');
      assert.strictEqual(p.intervals[2].start, '2026-02-19T07:30:00Z');
    });

    it('reads a start given with a UTC offset', () => {
      const body = mutate(
        live,
        (b) => (b.eiActivePeriod.properties.dtstart.datetime.value = '2026-02-18T21:00:00-08:00'),
      );
      assert.strictEqual(parseOlivinePrices(body).start, '2026-02-19T05:00:00Z');
    });

    it('accepts a declared total duration that matches the intervals', () => {
      const body = mutate(live, (b) => (b.eiActivePeriod.properties.duration = { duration: 'PT24H' }));
      assert.strictEqual(parseOlivinePrices(body).intervals.length, 24);
      const oneDay = mutate(live, (b) => (b.eiActivePeriod.properties.duration = { duration: 'P1D' }));
      assert.strictEqual(parseOlivinePrices(oneDay).intervals.length, 24);
    });

    it('has a vtnComment optional', () => {
      const body = mutate(live, (b) => delete b.eventDescriptor.vtnComment);
      const p = parseOlivinePrices(body);
      assert.deepStrictEqual(p.metadata, {});
      assert.deepStrictEqual(p.warnings, []);
    });

    it('uses only the first of several signals, with a warning', () => {
      const body = mutate(live, (b) => b.eiEventSignals.eiEventSignal.push({ intervals: [] }));
      const p = parseOlivinePrices(body);
      assert.strictEqual(p.intervals.length, 24);
      assert.deepStrictEqual(p.warnings, [
        '$.eiEventSignals.eiEventSignal: 2 signals; only the first is used',
      ]);
    });
  });

  describe('the simple shape (simple-shape-13h.json)', () => {
    const parsed = parseOlivinePrices(fs.readFileSync(SIMPLE_FILE, 'utf8'));

    it('is detected, with the Pacific calendar date of its start as eventID', () => {
      assert.strictEqual(parsed.shape, 'simple');
      assert.strictEqual(parsed.eventID, '2026-02-17');
      assert.deepStrictEqual(parsed.metadata, {});
      assert.deepStrictEqual(parsed.warnings, []);
    });

    it('places interval n at startTime + n × intervalDuration', () => {
      const raw = simple().priceSignals;
      assert.strictEqual(parsed.intervals.length, 13);
      assert.strictEqual(parsed.start, '2026-02-17T19:00:00Z');
      assert.strictEqual(parsed.end, '2026-02-18T08:00:00Z');
      parsed.intervals.forEach((interval, i) => {
        assert.strictEqual(Date.parse(interval.start), Date.parse('2026-02-17T19:00:00Z') + i * H);
        assert.strictEqual(interval.price, raw[i].priceUSD_per_kWh);
      });
    });

    it('takes the event date from the Pacific calendar, not UTC', () => {
      // 03:00 UTC on the 18th is still the 17th in California.
      const body = mutate(simple, (b) => (b.activePeriod.startTime = '2026-02-18T03:00:00Z'));
      assert.strictEqual(parseOlivinePrices(body).eventID, '2026-02-17');
    });

    it('handles 15-minute intervals', () => {
      const body = mutate(simple, (b) => {
        b.signalMetadata.intervalDuration = 'PT15M';
        b.activePeriod.duration = 'PT3H15M';
      });
      const p = parseOlivinePrices(body);
      assert.strictEqual(p.intervals[1].start, '2026-02-17T19:15:00Z');
      assert.strictEqual(p.end, '2026-02-17T22:15:00Z');
    });
  });

  describe('prices', () => {
    it('accepts negative prices (real markets go negative) without a warning inside the range', () => {
      const body = mutate(live, (b) => (liveIntervals(b)[3].streamPayloadBase[0].item.value = -0.05));
      const p = parseOlivinePrices(body);
      assert.strictEqual(p.intervals[3].price, -0.05);
      assert.deepStrictEqual(p.warnings, []);
    });

    it('warns (naming the path) about prices outside the sanity range, and keeps them', () => {
      const body = mutate(live, (b) => {
        liveIntervals(b)[2].streamPayloadBase[0].item.value = 7.5;
        liveIntervals(b)[5].streamPayloadBase[0].item.value = -3;
      });
      const p = parseOlivinePrices(body);
      assert.strictEqual(p.intervals[2].price, 7.5);
      assert.strictEqual(p.intervals[5].price, -3);
      assert.strictEqual(p.warnings.length, 2);
      assert.match(
        p.warnings[0],
        /^\$\.eiEventSignals\.eiEventSignal\[0\]\.intervals\[2\]\.streamPayloadBase\[0\]\.item\.value: price 7\.5 is outside the sanity range -1…2/,
      );
      assert.match(p.warnings[1], /intervals\[5\].*price -3 is outside/);
      assert.deepStrictEqual(DEFAULT_PRICE_RANGE, { min: -1, max: 2 });
    });

    it('takes a configurable sanity range', () => {
      const p = parseOlivinePrices(simple(), { priceRange: { min: 0, max: 0.12 } });
      const over = simple().priceSignals.filter(
        (s: { priceUSD_per_kWh: number }) => s.priceUSD_per_kWh > 0.12,
      );
      assert.ok(over.length > 0);
      assert.strictEqual(p.warnings.length, over.length);
      assert.match(
        p.warnings[0],
        /^\$\.priceSignals\[\d+\]\.priceUSD_per_kWh: price .* outside the sanity range 0…0\.12/,
      );
      assert.throws(
        () => parseOlivinePrices(simple(), { priceRange: { min: 1, max: 0 } }),
        /price range 1…0 is empty/,
      );
    });
  });

  describe('the vtnComment is informational: malformed parts are warnings, never errors', () => {
    const withComment = (comment: unknown) =>
      parseOlivinePrices(mutate(live, (b) => (b.eventDescriptor.vtnComment = comment)));

    it('skips a pair without a colon', () => {
      const p = withComment('BindingPrices:True;garbage;URL:https://x.example:8443/a');
      assert.deepStrictEqual(p.metadata, { BindingPrices: true, URL: 'https://x.example:8443/a' });
      assert.deepStrictEqual(p.warnings, [
        '$.eventDescriptor.vtnComment: pair 2 "garbage" has no ":" and was ignored',
      ]);
      assert.strictEqual(p.intervals.length, 24);
    });

    it('skips an empty key and keeps the first of a repeated key', () => {
      const p = withComment(':value;A:1;A:2;;');
      assert.deepStrictEqual(p.metadata, { A: '1' });
      assert.strictEqual(p.warnings.length, 2);
      assert.match(p.warnings[0], /pair 1 ":value" has an empty key/);
      assert.match(p.warnings[1], /key "A" appears more than once; the first value is kept/);
    });

    it('keeps values other than exactly True/False as text', () => {
      const p = withComment('a:true;b:FALSE;c:;d:True ');
      assert.deepStrictEqual(p.metadata, { a: 'true', b: 'FALSE', c: '', d: true });
    });

    it('ignores a comment that is not a string', () => {
      const p = withComment(42);
      assert.deepStrictEqual(p.metadata, {});
      assert.deepStrictEqual(p.warnings, [
        '$.eventDescriptor.vtnComment: ignored, expected a "Key:Value;…" string, got number',
      ]);
    });

    it('stores a "__proto__" key as plain data', () => {
      const p = withComment('__proto__:x;A:1');
      assert.strictEqual(Object.getPrototypeOf(p.metadata), Object.prototype);
      assert.strictEqual(Object.getOwnPropertyDescriptor(p.metadata, '__proto__')?.value, 'x');
    });
  });

  describe('pricesToOpenAdrEvent', () => {
    it("turns the simple fixture into exactly the reference implementation's sample_data/event_pricing.json", () => {
      const event = pricesToOpenAdrEvent(parseOlivinePrices(simple()));
      // Same keys in the same order, same values: byte-identical once serialised.
      assert.strictEqual(JSON.stringify(event), JSON.stringify(sampleEvent()));
    });

    it('gives the same event for the same prices in the live shape', () => {
      const event = pricesToOpenAdrEvent(parseOlivinePrices(liveFromSimple('2026-02-17')));
      assert.strictEqual(JSON.stringify(event), JSON.stringify(sampleEvent()));
    });

    it('names the live event etou-dyn-<eventID> and carries all 24 hours', () => {
      const event = pricesToOpenAdrEvent(parseOlivinePrices(live()), { programID: 'prog-7' });
      assert.strictEqual(event.eventName, 'etou-dyn-PUC-paced-etou-dyn-2026-02-18');
      assert.strictEqual(event.programID, 'prog-7');
      assert.deepStrictEqual(event.intervalPeriod, { start: '2026-02-19T05:00:00Z', duration: 'PT1H' });
      const intervals = event.intervals as Array<{ id: number; payloads: Array<{ values: number[] }> }>;
      assert.strictEqual(intervals.length, 24);
      assert.deepStrictEqual(
        intervals.map((i) => i.payloads[0].values[0]),
        liveIntervals(live()).map(
          (i: { streamPayloadBase: Array<{ item: { value: number } }> }) => i.streamPayloadBase[0].item.value,
        ),
      );
      assert.deepStrictEqual(
        intervals.map((i) => i.id),
        [...Array(24).keys()],
      );
    });

    it('gives each interval its own intervalPeriod when lengths differ', () => {
      const body = mutate(live, (b) => (liveIntervals(b)[0].duration.duration = 'PT30M'));
      const event = pricesToOpenAdrEvent(parseOlivinePrices(body), { eventName: 'x' });
      assert.strictEqual(event.intervalPeriod, undefined);
      const intervals = event.intervals as Array<{ intervalPeriod: { start: string; duration: string } }>;
      assert.deepStrictEqual(intervals[0].intervalPeriod, {
        start: '2026-02-19T05:00:00Z',
        duration: 'PT30M',
      });
      assert.deepStrictEqual(intervals[1].intervalPeriod, {
        start: '2026-02-19T05:30:00Z',
        duration: 'PT1H',
      });
    });

    it('takes a plain interval list, and then needs an eventName', () => {
      const list = [
        { start: '2026-03-01T00:00:00Z', end: '2026-03-01T00:15:00Z', price: 0.2 },
        { start: '2026-03-01T00:15:00Z', end: '2026-03-01T00:30:00Z', price: -0.01 },
      ];
      const event = pricesToOpenAdrEvent(list, { eventName: 'spot', programID: 'p1' });
      assert.deepStrictEqual(event.intervalPeriod, { start: '2026-03-01T00:00:00Z', duration: 'PT15M' });
      assert.throws(() => pricesToOpenAdrEvent(list), /eventName is required/);
    });

    it('rejects what cannot become a valid event, naming the field', () => {
      const ok = { start: '2026-03-01T00:00:00Z', end: '2026-03-01T01:00:00Z', price: 0.2 };
      assert.throws(() => pricesToOpenAdrEvent([], { eventName: 'e' }), /no intervals/);
      assert.throws(
        () => pricesToOpenAdrEvent([{ ...ok, price: Number.NaN }], { eventName: 'e' }),
        /prices\[0\]\.price: must be a finite number/,
      );
      assert.throws(
        () => pricesToOpenAdrEvent([{ ...ok, end: ok.start }], { eventName: 'e' }),
        /prices\[0\]\.end: must be after start/,
      );
      assert.throws(
        () => pricesToOpenAdrEvent([{ ...ok, start: '2026-03-01T00:00:00' }], { eventName: 'e' }),
        /prices\[0\]\.start: .*no time zone/,
      );
      assert.throws(
        () => pricesToOpenAdrEvent([ok], { eventName: 'e', programID: 'has space' }),
        /programID "has space" is not an OpenADR object id/,
      );
    });
  });

  describe('OpenADR 3 passthrough', () => {
    it("accepts the reference implementation's event unchanged and reads its prices", () => {
      const event = sampleEvent();
      const p = parseOlivinePrices(JSON.stringify(event));
      assert.strictEqual(p.shape, 'openadr3');
      assert.deepStrictEqual(p.openadr, event);
      assert.strictEqual(p.eventID, 'etou-dyn-2026-02-17');
      assert.deepStrictEqual(p.intervals, parseOlivinePrices(simple()).intervals);
    });

    it('accepts an array of events and orders their intervals by time', () => {
      const first = sampleEvent();
      const second = {
        ...sampleEvent(),
        id: 'evt-2',
        intervalPeriod: { start: '2026-02-18T08:00:00Z', duration: 'PT1H' },
      };
      const p = parseOlivinePrices([second, first]);
      assert.strictEqual(p.intervals.length, 26);
      assert.strictEqual(p.start, '2026-02-17T19:00:00Z');
      assert.strictEqual(p.end, '2026-02-18T21:00:00Z');
      assert.strictEqual(p.eventID, 'evt-2');
      assert.deepStrictEqual(p.openadr, [second, first]);
    });

    it('reads per-interval periods, which override the event period', () => {
      const event = sampleEvent();
      event.intervals = [
        {
          id: 0,
          intervalPeriod: { start: '2026-02-17T19:00:00Z', duration: 'PT30M' },
          payloads: [{ type: 'PRICE', values: [0.1] }],
        },
        {
          id: 1,
          intervalPeriod: { start: '2026-02-17T19:30:00Z' },
          payloads: [{ type: 'PRICE', values: [0.2] }],
        },
      ];
      const p = parseOlivinePrices(event);
      assert.deepStrictEqual(p.intervals, [
        { start: '2026-02-17T19:00:00Z', end: '2026-02-17T19:30:00Z', price: 0.1 },
        { start: '2026-02-17T19:30:00Z', end: '2026-02-17T20:30:00Z', price: 0.2 },
      ]);
    });

    it('warns when the prices are not USD per kWh', () => {
      const event = sampleEvent();
      event.payloadDescriptors[0].currency = 'EUR';
      const p = parseOlivinePrices(event);
      assert.match(p.warnings[0], /^\$\.payloadDescriptors: prices are EUR per KWH, passed on unchanged/);
    });
  });

  it('detectPriceShape names the three shapes', () => {
    assert.strictEqual(detectPriceShape(live()), 'live');
    assert.strictEqual(detectPriceShape(simple()), 'simple');
    assert.strictEqual(detectPriceShape(sampleEvent()), 'openadr3');
    assert.strictEqual(detectPriceShape([sampleEvent()]), 'openadr3');
  });
});
