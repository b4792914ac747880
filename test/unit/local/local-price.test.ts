/**
 * The local price: retail + emissions (g/kWh) × $/t, cut at every boundary of either series,
 * published as an event and a program marked local that the VTN accepts and a VEN reads back.
 */
import assert from 'assert';
import { createVenClient, eventsToPriceTimeline, type PriceSlot } from '../../../src/openadr/client';
import {
  computeLocalPrice,
  localPriceEvent,
  localPriceProgram,
} from '../../../src/openadr/local/local-price';
import { startTestVtn } from '../../support/vtn-client';
import { caller31 } from '../../support/vtn31';

const slot = (start: string, end: string, price: number, units: string | null = 'KWH'): PriceSlot => ({
  start,
  end,
  price,
  currency: 'USD',
  units,
  eventID: '1',
  intervalID: 0,
});

const retail = [
  slot('2026-07-01T00:00:00.000Z', '2026-07-01T01:00:00.000Z', 0.2),
  slot('2026-07-01T01:00:00.000Z', '2026-07-01T02:00:00.000Z', 0.3),
];

describe('local price', () => {
  it('adds g/kWh × $/t (metric ton) to the retail price, interval by interval', () => {
    const r = computeLocalPrice(
      retail,
      [
        { start: '2026-07-01T00:00:00Z', end: '2026-07-01T01:00:00Z', value: 400 },
        { start: '2026-07-01T01:00:00Z', end: '2026-07-01T02:00:00Z', value: 100 },
      ],
      50,
    );
    // 400 g/kWh × 50 $/t = 0.02 $/kWh; 100 g/kWh → 0.005 $/kWh
    assert.deepStrictEqual(
      r.slots.map((s) => [s.start.slice(11, 16), s.price, s.retail, s.ghg, s.burden]),
      [
        ['00:00', 0.22, 0.2, 400, 0.02],
        ['01:00', 0.305, 0.3, 100, 0.005],
      ],
    );
    assert.deepStrictEqual(r.warnings, []);
  });

  it('cuts at the finer series: 30-minute emissions refine an hourly tariff', () => {
    const r = computeLocalPrice(
      retail,
      [
        { start: '2026-07-01T00:00:00Z', duration: 'PT30M', value: 200 },
        { start: '2026-07-01T00:30:00Z', duration: 'PT30M', value: 600 },
        { start: '2026-07-01T01:00:00Z', duration: 'PT1H', value: 0 },
      ],
      100,
    );
    assert.deepStrictEqual(
      r.slots.map((s) => [s.start.slice(11, 16), s.end.slice(11, 16), s.price]),
      [
        ['00:00', '00:30', 0.22],
        ['00:30', '01:00', 0.26],
        ['01:00', '02:00', 0.3],
      ],
    );
  });

  it('keeps the retail price where there is no emissions value, and says where', () => {
    const r = computeLocalPrice(
      retail,
      [{ start: '2026-07-01T00:00:00Z', end: '2026-07-01T00:30:00Z', value: 500 }],
      40,
    );
    assert.deepStrictEqual(
      r.slots.map((s) => [s.start.slice(11, 16), s.price, s.ghg]),
      [
        ['00:00', 0.22, 500],
        ['00:30', 0.2, null],
        ['01:00', 0.3, null],
      ],
    );
    assert.deepStrictEqual(r.warnings, [
      'no emissions value for 2026-07-01T00:30:00.000Z–2026-07-01T02:00:00.000Z: the retail price is used there',
    ]);
  });

  it('scales the burden to prices per MWh and reads emissions from OpenADR GHG events', () => {
    const ghgEvent = {
      programID: 'p',
      intervalPeriod: { start: '2026-07-01T00:00:00Z', duration: 'PT1H' },
      intervals: [
        { id: 0, payloads: [{ type: 'GHG', values: [300] }] },
        { id: 1, payloads: [{ type: 'GHG', values: [300] }] },
      ],
    };
    const r = computeLocalPrice(
      [slot('2026-07-01T00:00:00.000Z', '2026-07-01T02:00:00.000Z', 80, 'MWH')],
      [ghgEvent],
      50,
      Date.parse('2026-07-01T00:00:00Z'),
    );
    // 300 g/kWh × 50 $/t = 15 $/MWh; equal neighbours merge back into one interval
    assert.deepStrictEqual(
      r.slots.map((s) => [s.start.slice(11, 16), s.end.slice(11, 16), s.price, s.units]),
      [['00:00', '02:00', 95, 'MWH']],
    );
  });

  it('refuses what it cannot compute, naming the field', () => {
    assert.throws(() => computeLocalPrice(retail, [], -1), /price per ton ≥ 0/);
    assert.throws(
      () => computeLocalPrice(retail, [{ start: '2026-07-01T00:00:00Z', value: 1 }], 10),
      /last value needs an end/,
    );
    assert.throws(
      () =>
        computeLocalPrice(retail, [{ start: '2026-07-01T00:00', end: '2026-07-01T01:00Z', value: 1 }], 10),
      /with a zone/,
    );
    assert.throws(
      () => computeLocalPrice(retail, [{ start: '2026-07-01T00:00:00Z', duration: 'PT1H', value: 'x' }], 10),
      /emissions\[0\]\.value/,
    );
    assert.throws(
      () =>
        computeLocalPrice(
          [slot(retail[0].start, retail[0].end, 1, 'THERM')],
          [{ start: retail[0].start, end: retail[0].end, value: 1 }],
          10,
        ),
      /per THERM cannot carry a burden/,
    );
    assert.throws(() => computeLocalPrice('no' as never, [], 1), /price timeline/);
  });

  it('publishes as an event and a local program the VTN accepts, read back by a VEN (3.0.1 localPrice, 3.1.0 LOCAL)', async () => {
    const t = await startTestVtn();
    try {
      const result = computeLocalPrice(
        retail,
        [{ start: '2026-07-01T00:00:00Z', duration: 'PT2H', value: 250 }],
        80,
      );
      const bl = await t.token('bl_client', '1001');
      const program = await t.call(
        'POST',
        '/programs',
        bl,
        localPriceProgram('local-price', { programName: 'eTOU-Dyn' }),
      );
      assert.strictEqual(program.status, 201, program.text);
      assert.strictEqual(program.body.localPrice, true);
      const event = await t.call(
        'POST',
        '/events',
        bl,
        localPriceEvent(result, { programID: program.body.id }),
      );
      assert.strictEqual(event.status, 201, event.text);

      const p31 = await caller31(t)('GET', `/programs/${program.body.id}`, bl);
      assert.deepStrictEqual(
        p31.body.attributes.find((a: { type: string }) => a.type === 'LOCAL'),
        { type: 'LOCAL', values: [true] },
      );

      const ven = createVenClient({
        baseUrl: t.url,
        auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
      });
      const events = await ven.getEvents({ programID: program.body.id });
      const back = eventsToPriceTimeline(events, {
        includePast: true,
        now: Date.parse('2026-07-01T00:00:00Z'),
      });
      assert.deepStrictEqual(
        back.intervals.map((s) => [s.start.slice(11, 16), s.price, s.units, s.currency]),
        [
          ['00:00', 0.22, 'KWH', 'USD'],
          ['01:00', 0.32, 'KWH', 'USD'],
        ],
      );
    } finally {
      await t.close();
    }
  });
});
