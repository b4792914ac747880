import assert from 'assert';
import fs from 'fs';
import path from 'path';
import vm from 'vm';
import { DEFAULT_HEATER, paramsForTimeline, scheduleLp, tankEnergyKwh, toPriceTimeline } from '../../src';
import { builtNode, helper, repoRoot } from '../support/node-helper';
import { loadScheduler, quiet } from './scheduler-support';

const lpNode = builtNode('hpwh-lp-scheduler');
const REFERENCE_PRICES = [
  0.12266, 0.1215, 0.1199, 0.11809, 0.12066, 0.11821, 0.1178, 0.11823, 0.12151, 0.12692, 0.12514, 0.12257,
  0.12292, 0.12003, 0.11663, 0.11496, 0.11353, 0.11191, 0.10918, 0.11637, 0.12448, 0.12548, 0.12511, 0.12492,
];
const snakeCaseParams = {
  n: 24,
  price: REFERENCE_PRICES,
  load: REFERENCE_PRICES.map(() => 1.5),
  cop: REFERENCE_PRICES.map(() => 3),
  initial_soc: 6,
  min_storage_capacity: 1,
  max_storage_capacity: 12,
  min_input: 0,
  max_input: 4.5,
};
const whole = { horizon: 'all', drawProfile: 'flat' };

describe('nodes: hpwh-lp-scheduler', () => {
  afterEach(() => helper.unload());

  it('plans a plain price array from msg.soc: the core’s optimum, the pipeline’s shape, a green status', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
    const prices = [0.3, 0.12, 0.1, 0.25, 0.3, 0.3];
    const msg = await t.send({ payload: prices, soc: 1.5, start: '2026-03-01T00:00:00Z' });
    const timeline = toPriceTimeline(prices, { start: '2026-03-01T00:00:00Z' });
    const expected = scheduleLp(paramsForTimeline(timeline, { drawProfile: 'flat' }, 1.5));
    assert.strictEqual(msg.payload.totalCost, expected.totalCost);
    assert.deepStrictEqual(
      msg.payload.intervals.map((i) => i.control),
      expected.control,
    );
    assert.strictEqual(msg.payload.intervals[0].start, '2026-03-01T00:00:00.000Z');
    assert.strictEqual(msg.payload.algorithm, 'lp');
    assert.strictEqual(msg.payload.engine, 'exact');
    assert.strictEqual(msg.payload.initialSoc, 1.5);
    assert.ok(msg.payload.savings > 0, `savings ${msg.payload.savings}`);
    const status = t.statuses.at(-1)!;
    assert.strictEqual(status.fill, 'green');
    assert.match(status.text!, /^\$\d+\.\d\d · saves \d+ % · 6 intervals$/);
    assert.strictEqual(
      status.text,
      `$${expected.totalCost.toFixed(2)} · saves ${Math.round(expected.savingsPercent!)} % · 6 intervals`,
    );
  });

  it("takes the reference implementation's snake_case msg.params and finds its notebook optimum, with either engine", async () => {
    for (const engine of ['exact', 'javascript-lp-solver']) {
      const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', { engine });
      const msg = await t.send({ params: snakeCaseParams });
      assert.ok(Math.abs(msg.payload.totalCost - 1.190635) < 1e-9, `${engine}: ${msg.payload.totalCost}`);
      assert.strictEqual(msg.payload.engine, engine);
      assert.strictEqual(msg.payload.intervals.length, 24);
      await helper.unload();
    }
  });

  it('reads the reference implementation’s OpenADR event and a VEN timeline', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
    const event = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'sample_data', 'event_pricing.json'), 'utf8'),
    );
    const fromEvent = await t.send({ payload: event });
    assert.strictEqual(fromEvent.payload.intervals.length, 13);
    assert.strictEqual(fromEvent.payload.intervals[12].end, '2026-02-18T08:00:00.000Z');
    const timeline = fromEvent.payload.intervals.map(({ start, end, price }) => ({
      start,
      end,
      price,
      currency: 'USD',
    }));
    const fromTimeline = await t.send({ payload: timeline });
    assert.strictEqual(fromTimeline.payload.totalCost, fromEvent.payload.totalCost);
  });

  it('plans from now by default: ended intervals dropped, msg.current is the interval to act on', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler');
    const start = new Date(Date.now() - 30 * 60_000).toISOString();
    const msg = await t.send({ payload: [0.5, 0.1, 0.2, 0.3], start });
    assert.strictEqual(msg.payload.intervals.length, 4);
    assert.ok(
      Date.parse(msg.payload.intervals[0].start) > Date.parse(start),
      'the current interval starts now',
    );
    assert.deepStrictEqual(msg.current, msg.payload.intervals[0]);
    assert.strictEqual(msg.signal, msg.payload.intervals[0].signal);
  });

  it('telemetry (msg.soc alone) waits for prices, then re-plans the last prices from the new level', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
    t.node.receive({ payload: { operatingState: 'IdleNormal' }, soc: 5 });
    await quiet();
    assert.strictEqual(t.statuses.at(-1)?.fill, 'yellow');
    assert.match(t.statuses.at(-1)!.text!, /tank 5.0 kWh · waiting for prices/);
    const first = await t.send({ payload: [0.3, 0.1, 0.3], load: [3, 3, 3], start: '2026-03-01T00:00:00Z' });
    assert.strictEqual(first.payload.initialSoc, 5, 'the remembered level');
    const replanned = await t.send({ payload: { operatingState: 'Running' }, soc: 11 });
    assert.strictEqual(replanned.payload.initialSoc, 11);
    assert.strictEqual(replanned.payload.intervals.length, 3);
    assert.ok(replanned.payload.totalCost < first.payload.totalCost, 'a fuller tank needs less heat');
  });

  it('telemetry with an unknown level (msg.soc null) keeps the remembered level and sends nothing', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
    t.node.receive({ payload: { operatingState: 'IdleNormal', energyStoredWh: null }, soc: null });
    await quiet();
    assert.match(t.statuses.at(-1)!.text!, /telemetry without a tank level · still 6.0 kWh/);
    const msg = await t.send({ payload: [0.1, 0.2], soc: null, start: '2026-03-01T00:00:00Z' });
    assert.strictEqual(msg.payload.initialSoc, 6, 'the configured level');
  });

  it('an absurd tank level is an error naming msg.soc, with or without stored prices', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
    assert.match(await t.fail({ soc: 1e12 }), /msg\.soc.*1000000000000.*kWh/);
    assert.strictEqual(t.statuses.at(-1)?.fill, 'red');
    assert.match(await t.fail({ payload: [0.1, 0.2], soc: 1e12 }), /msg\.soc/);
    assert.match(await t.fail({ payload: [0.1, 0.2], soc: -2 }), /msg\.soc/);
    // A Wh reading where kWh is expected is the likely mistake: the error says so.
    assert.match(await t.fail({ soc: 4200 }), /kWh/);
  });

  it('refuses horizons too long for javascript-lp-solver instead of blocking Node-RED', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', { ...whole, engine: 'javascript-lp-solver' });
    assert.match(
      await t.fail({ payload: new Array(1001).fill(0.1) }),
      /1001 intervals is too many .* use the exact engine/,
    );
  });

  it('infeasible: the reference fallback, converged false, a warning and a yellow status', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
    const msg = await t.send({ payload: [0.1, 0.2], load: [9, 9], soc: 1, start: '2026-03-01T00:00:00Z' });
    assert.strictEqual(msg.payload.converged, false);
    assert.deepStrictEqual(
      msg.payload.intervals.map((i) => i.control),
      [4.5, 4.5],
    );
    assert.strictEqual(t.statuses.at(-1)?.fill, 'yellow');
    assert.match(t.statuses.at(-1)!.text!, /^not converged · \$/);
    assert.match(t.warnings.join('\n'), /no schedule keeps every limit/);
  });

  it('bad input → an error naming the problem (Catch node, red status); the node keeps working', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
    assert.match(await t.fail({ payload: 'cheap' }), /msg.payload must be a price timeline/);
    assert.strictEqual(t.statuses.at(-1)?.fill, 'red');
    assert.match(await t.fail({ payload: [0.1, 0.2], load: [1] }), /msg.load must be 2 numbers/);
    assert.match(await t.fail({ payload: [0.1], soc: 'full' }), /msg.soc must be the tank's energy in kWh/);
    assert.match(await t.fail({ params: { ...snakeCaseParams, cop: 0 } }), /cop: must be > 0/);
    assert.match(
      await t.fail({ payload: [{ start: 'x', end: 'y', price: 1 }] }),
      /msg.payload\[0\].start must be a date/,
    );
    const ok = await t.send({ payload: [0.1, 0.2] });
    assert.strictEqual(ok.payload.intervals.length, 2);
  });

  it('draw profile "msg.load" requires msg.load', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', { ...whole, drawProfile: 'msg' });
    assert.match(await t.fail({ payload: [0.1, 0.2] }), /no msg.load/);
    const msg = await t.send({ payload: [0.1, 0.2], load: [2, 0], soc: 1 });
    assert.ok(Math.abs(msg.payload.intervals[0].control - 2) < 1e-12);
  });

  it('a bad setting fails every message with its name', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', { reserveKwh: 20 });
    assert.match(await t.fail({ payload: [0.1] }), /reserveKwh: \(20\) must be <= capacityKwh \(12\)/);
    await helper.unload();
    const z = await loadScheduler(lpNode, 'hpwh-lp-scheduler', { timeZone: 'Nowhere/Land' });
    assert.match(await z.fail({ payload: [0.1] }), /not a known IANA time zone/);
  });

  describe('tank temperature option', () => {
    const prices = { payload: [0.3, 0.1, 0.3], load: [3, 3, 3], start: '2026-03-01T00:00:00Z' };

    it('a heater that reports only °C re-plans like a tank-level reading, from the volume and inlet', async () => {
      const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', {
        ...whole,
        useTankTemp: true,
        tankVolumeL: '300',
        inletTemp: '10',
      });
      const first = await t.send({ ...prices, soc: 2 });
      const replanned = await t.send({ payload: { operatingState: 'Running' }, tankTempC: 50 });
      const expected = tankEnergyKwh({ volumeLiters: 300, tankTempC: 50, inletTempC: 10 });
      assert.ok(Math.abs(expected - 13.6) < 0.2, `300 L at 50 °C over a 10 °C inlet: ${expected} kWh`);
      assert.strictEqual(replanned.payload.initialSoc, expected);
      assert.strictEqual(replanned.payload.intervals.length, 3);
      assert.ok(replanned.payload.totalCost < first.payload.totalCost, 'a hot tank needs less heat');
      // An explicit msg.soc wins over a temperature in the same message.
      const both = await t.send({ ...prices, soc: 4, tankTempC: 50 });
      assert.strictEqual(both.payload.initialSoc, 4);
      // A reading that cannot be water is an error naming where it came from; the node goes on.
      assert.match(await t.fail({ tankTempC: 130 }), /msg\.tankTempC must be the tank temperature.*130/);
      assert.strictEqual((await t.send({ tankTempF: 122 })).payload.initialSoc, expected);
    });

    it('reads °F from a configured property, with the inlet in °F too', async () => {
      const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', {
        ...whole,
        useTankTemp: true,
        tankVolumeL: 300,
        inletTemp: 50,
        tempUnit: 'F',
        tankTempProperty: 'msg.payload.temperature',
      });
      await t.send({ ...prices, soc: 2 });
      const replanned = await t.send({ payload: { temperature: 122 } });
      const expected = tankEnergyKwh({ volumeLiters: 300, tankTempC: 50, inletTempC: 10 });
      assert.ok(Math.abs(replanned.payload.initialSoc - expected) < 1e-9, `${replanned.payload.initialSoc}`);
    });

    it('is off by default: a temperature alone is not a tank level', async () => {
      const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
      await t.send({ ...prices, soc: 2 });
      assert.match(await t.fail({ tankTempC: 50 }), /msg\.payload must be a price timeline/);
    });

    it('a bad volume or inlet is a setting error naming it', async () => {
      const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', { useTankTemp: true, tankVolumeL: 0 });
      assert.match(await t.fail({ payload: [0.1] }), /tankVolumeL/);
      await helper.unload();
      const f = await loadScheduler(lpNode, 'hpwh-lp-scheduler', {
        useTankTemp: true,
        inletTemp: 300,
        tempUnit: 'F',
      });
      assert.match(await f.fail({ payload: [0.1] }), /inletTemp: 300 °F/);
    });
  });

  describe('the editor both scheduler types share, served by the runtime', () => {
    type Definition = {
      defaults: Record<string, { value: unknown; validate?: (this: unknown, v: unknown) => unknown }>;
      category: string;
    };

    /** Run the served script against a stand-in for jQuery that has no form open. */
    async function definitionsFromServedScript(): Promise<Record<string, Definition>> {
      await loadScheduler(lpNode, 'hpwh-lp-scheduler');
      const res = (await (
        helper.request() as { get(p: string): Promise<{ status: number; text: string; type: string }> }
      ).get('/hpwh-scheduler/editor.js')) as { status: number; text: string; type: string };
      assert.strictEqual(res.status, 200);
      assert.strictEqual(res.type, 'application/javascript');
      const chain: unknown = new Proxy(function () {}, {
        get: (_t, key) => (key === 'length' ? 0 : () => chain),
        apply: () => chain,
      });
      const jQuery = Object.assign(() => chain, { extend: Object.assign });
      const window: Record<string, (type: string, options: object) => Definition> = {};
      vm.runInNewContext(res.text, { window, jQuery });
      return {
        lp: window.hpwhSchedulerEditor('hpwh-lp-scheduler', { category: 'OpenADR 3', engine: true }),
        heuristic: window.hpwhSchedulerEditor('hpwh-heuristic-scheduler', { category: 'OpenADR 3' }),
      };
    }

    it('takes its defaults from the core, and only the LP scheduler gets an engine', async () => {
      const { lp, heuristic } = await definitionsFromServedScript();
      for (const key of [
        'capacityKwh',
        'reserveKwh',
        'maxOutputKw',
        'minOutputKw',
        'cop',
        'dailyDrawKwh',
      ] as const) {
        assert.strictEqual(lp.defaults[key].value, DEFAULT_HEATER[key], key);
        assert.strictEqual(heuristic.defaults[key].value, DEFAULT_HEATER[key], key);
      }
      assert.strictEqual(lp.defaults.engine.value, 'exact');
      assert.ok(!('engine' in heuristic.defaults));
      assert.strictEqual(lp.defaults.useTankTemp.value, false);
      assert.strictEqual(lp.category, 'OpenADR 3');
    });

    it('validates by the same rules: capacity > 0, reserve at most the capacity, volume only when used', async () => {
      const { lp } = await definitionsFromServedScript();
      const node = { capacityKwh: 12, useTankTemp: false, _: (key: string) => key };
      const check = (key: string, value: unknown, on: object = node) =>
        lp.defaults[key].validate!.call(on, value);
      assert.strictEqual(check('capacityKwh', '12'), true);
      assert.strictEqual(check('capacityKwh', '0'), false);
      assert.strictEqual(check('reserveKwh', '12'), true);
      assert.strictEqual(check('reserveKwh', '13'), false);
      assert.strictEqual(check('finalSocKwh', ''), true, 'may stay blank');
      assert.strictEqual(check('tankVolumeL', '0'), true, 'not checked while the option is off');
      assert.strictEqual(check('tankVolumeL', '0', { ...node, useTankTemp: true }), false);
    });
  });
});
