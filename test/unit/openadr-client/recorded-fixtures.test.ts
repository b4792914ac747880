import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { createPricePoller, createVenClient } from '../../../src/openadr/client';
import { FixtureMode, FixtureVtn, startFixtureVtn } from '../../support/fixture-vtn';

const dir = path.join(__dirname, '..', '..', 'fixtures', 'openadr');
const load = (name: string): Array<Record<string, unknown>> =>
  JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));

async function serve(mode: FixtureMode, prefix: string, anonymous: boolean): Promise<FixtureVtn> {
  const vtn = await startFixtureVtn({ mode, anonymous, clients: { ven_client: '999' } });
  for (const p of load(`${prefix}-programs`)) vtn.seed('programs', p);
  for (const e of load(`${prefix}-events`)) vtn.seed('events', e);
  return vtn;
}

describe('the poller on each server shape (test/fixtures/openadr)', () => {
  let vtn: FixtureVtn;
  afterEach(async () => vtn?.stop());

  it('reference implementation: counter ids, zone-less and bare-time createdDateTime', async () => {
    vtn = await serve('reference', 'reference-impl', false);
    const poller = createPricePoller({
      client: createVenClient({
        baseUrl: vtn.url,
        auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
      }),
      programName: 'etou-dynamic-pricing',
      now: () => Date.parse('2026-02-19T10:30:00Z'),
    });
    const r = await poller.poll();
    assert.strictEqual(r.events.length, 2);
    assert.strictEqual(r.timeline.intervals.length, 11, 'the 2023 event is over; 2 of 13 hours have passed');
    assert.strictEqual(r.timeline.currentPrice, 0.11814);
    assert.strictEqual(r.timeline.current?.eventID, '1');
    assert.deepStrictEqual(r.timeline.warnings, []);
  });

  it('openleadr-rs: long-form durations and explicit nulls', async () => {
    vtn = await serve('openleadr', 'openleadr-rs', true);
    const poller = createPricePoller({
      client: createVenClient({ baseUrl: vtn.url }),
      programID: 'program-5f0e2c44',
      now: () => Date.parse('2026-02-19T08:00:00Z'),
    });
    const r = await poller.poll();
    assert.deepStrictEqual(
      r.timeline.intervals.map((s) => [s.start.slice(11, 16), s.price, s.currency]),
      [
        ['08:00', 0.12097, 'USD'],
        ['09:00', 0.12089, 'USD'],
        ['10:00', 0.11814, 'USD'],
        ['11:00', 0.11852, 'USD'],
      ],
    );
  });

  it('3.1.0 price server, anonymous, on a 23-hour DST day with per-interval periods', async () => {
    vtn = await serve('price31', 'price-server-3.1.0', true);
    const poller = createPricePoller({
      client: createVenClient({ baseUrl: vtn.url }),
      programName: 'CA-TOU-2',
      now: () => Date.parse('2026-03-08T00:00:00Z'),
    });
    const r = await poller.poll();
    assert.strictEqual(r.program?.programLongName, 'California dynamic TOU, rate 2');
    const t = r.timeline;
    assert.strictEqual(t.intervals.length, 23);
    assert.strictEqual(t.intervals[0].start, '2026-03-08T08:00:00.000Z');
    assert.strictEqual(t.intervals[22].end, '2026-03-09T07:00:00.000Z');
    const hour3 = t.intervals.find((s) => s.intervalID === 3)!;
    assert.strictEqual(
      hour3.start,
      '2026-03-08T10:00:00.000Z',
      '03:00 PDT is 10:00Z, the third hour of the day',
    );
    assert.deepStrictEqual(
      [hour3.units, hour3.currency],
      ['KWH', 'USD'],
      'from the program payloadDescriptors',
    );
  });
});
