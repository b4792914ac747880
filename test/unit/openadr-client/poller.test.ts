import assert from 'assert';
import {
  createPricePoller,
  createVenClient,
  diffEvents,
  OpenAdrEvent,
  selectProgram,
} from '../../../src/openadr/client';
import { FixtureVtn, startFixtureVtn } from '../../support/fixture-vtn';

const ev = (id: string, mod?: string, price = 0.1): OpenAdrEvent => ({
  id,
  programID: 'p',
  eventName: id,
  modificationDateTime: mod,
  intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' },
  intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [price] }] }],
});

describe('price poller', () => {
  it('diffEvents finds added, changed (by modificationDateTime) and removed events', () => {
    const before = [ev('a', 't1'), ev('b', 't1'), ev('c', 't1')];
    const after = [ev('a', 't1'), ev('b', 't2'), ev('d', 't1')];
    const d = diffEvents(before, after);
    assert.deepStrictEqual(
      [d.added.map((e) => e.id), d.changed.map((e) => e.id), d.removed.map((e) => e.id)],
      [['d'], ['b'], ['c']],
    );
    // Without modificationDateTime (reference implementation) the content decides.
    const c = diffEvents([ev('a', undefined, 0.1)], [ev('a', undefined, 0.2)]);
    assert.deepStrictEqual(
      c.changed.map((e) => e.id),
      ['a'],
    );
    assert.strictEqual(diffEvents([ev('a')], [ev('a')]).changed.length, 0);
  });

  it('selectProgram by name or id, with a clear error listing what exists', () => {
    const programs = [
      { id: '1', programName: 'tou' },
      { id: '2', programName: 'cpp' },
    ];
    assert.strictEqual(selectProgram(programs, { programName: 'cpp' })?.id, '2');
    assert.strictEqual(selectProgram(programs, { programID: '1' })?.programName, 'tou');
    assert.strictEqual(selectProgram(programs, {}), null);
    assert.throws(
      () => selectProgram(programs, { programName: 'rtp' }),
      /program "rtp" not found on the VTN \(it has "tou", "cpp"\)/,
    );
  });

  describe('against a fixture VTN', () => {
    let vtn: FixtureVtn;
    afterEach(async () => vtn?.stop());

    it('polls the selected program, reports changes, and keeps the last good result when the VTN is down', async () => {
      vtn = await startFixtureVtn({ anonymous: true, mode: 'reference' });
      const tou = vtn.seed('programs', {
        programName: 'tou',
        payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
      });
      const other = vtn.seed('programs', { programName: 'other' });
      vtn.seed('events', { ...ev('x'), id: undefined, programID: tou.id });
      vtn.seed('events', { ...ev('y'), id: undefined, programID: other.id });
      let now = Date.parse('2026-02-17T00:30:00Z');
      const poller = createPricePoller({
        client: createVenClient({ baseUrl: vtn.url, retries: 0 }),
        programName: 'tou',
        now: () => now,
      });
      const first = await poller.poll();
      assert.strictEqual(first.events.length, 1);
      assert.strictEqual(first.eventsChanged, true);
      assert.strictEqual(first.timeline.currentPrice, 0.1);
      assert.strictEqual(first.timeline.current?.currency, 'USD', 'currency from the program');
      const second = await poller.poll();
      assert.strictEqual(second.eventsChanged, false);
      assert.strictEqual(second.timelineChanged, false);
      vtn.store.events[0].intervals = [{ id: 0, payloads: [{ type: 'PRICE', values: [0.5] }] }];
      const third = await poller.poll();
      assert.deepStrictEqual(
        third.changes.changed.map((e) => e.eventName),
        ['x'],
      );
      assert.strictEqual(third.timeline.currentPrice, 0.5);
      await vtn.stop();
      await assert.rejects(poller.poll(), /cannot reach the VTN/);
      assert.strictEqual(poller.lastGood(), third);
      now = Date.parse('2026-02-17T01:30:00Z');
      assert.strictEqual(poller.timelineFromLastGood()?.intervals.length, 0, 'recomputed for the new time');
    });
  });
});
