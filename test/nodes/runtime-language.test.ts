/**
 * Runtime messages come from the message catalogs in the runtime's language, through the RED._
 * Node-RED gives each node set (here Node-RED's own i18n; test/support/node-helper.ts): plurals,
 * decimal separators and field names follow the language. The real runtime with `lang: 'de'` is
 * test/e2e/runtime-german.e2e.test.ts.
 */
import assert from 'assert';
import { builtNode, helper, inLanguage } from '../support/node-helper';
import { loadScheduler } from './scheduler-support';

const lpNode = builtNode('hpwh-lp-scheduler');
const whole = { horizon: 'all', drawProfile: 'flat' };
const start = '2026-03-01T00:00:00Z';

describe('nodes: statuses and errors in the runtime language', () => {
  afterEach(() => helper.unload());

  it('English: "$0.58 · saves 14 % · 6 intervals", and "1 interval"', async () => {
    const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
    await t.send({ payload: [0.3, 0.12, 0.1, 0.25, 0.3, 0.3], soc: 1.5, start });
    assert.match(t.statuses.at(-1)!.text!, /^\$\d+\.\d\d · saves \d+ % · 6 intervals$/);
    await t.send({ payload: [0.3], soc: 6, start });
    assert.match(t.statuses.at(-1)!.text!, / · 1 interval$/);
  });

  it('German: decimal comma, "spart", "Intervalle", and a German error for a bad message', async () => {
    await inLanguage('de', async () => {
      const t = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
      const msg = await t.send({ payload: [0.3, 0.12, 0.1, 0.25, 0.3, 0.3], soc: 1.5, start });
      const cost = msg.payload.totalCost.toFixed(2).replace('.', ',');
      assert.match(t.statuses.at(-1)!.text!, new RegExp(`^${cost} \\$ · spart \\d+ % · 6 Intervalle$`));
      await t.send({ payload: [0.3], soc: 6, start });
      assert.match(t.statuses.at(-1)!.text!, / · 1 Intervall$/);
      assert.strictEqual(
        (await t.fail({ payload: [0.1], soc: 'voll' })).replace(/^Error: /, ''),
        'msg.soc muss die Energie im Speicher in kWh sein (eine Zahl), erhalten: "voll"',
      );
    });
  });

  it('German: the tank-level range and the interval limit of the heuristic, named in German', async () => {
    await inLanguage('de', async () => {
      const lp = await loadScheduler(lpNode, 'hpwh-lp-scheduler', whole);
      assert.strictEqual(
        (await lp.fail({ payload: [0.1], soc: 12000, start })).replace(/^Error: /, ''),
        'msg.soc 12000 kWh ist mehr als das 10-Fache der Speicherkapazität (12 kWh): msg.soc ist in kWh, nicht in Wh',
      );
      assert.strictEqual(
        (await lp.fail({ payload: [0.1], soc: -1, start })).replace(/^Error: /, ''),
        'msg.soc muss die Energie im Speicher in kWh sein (0 oder mehr), erhalten: -1',
      );
      await helper.unload();
      helper.settings({ openadr3HpwhLimits: { maxHeuristicIntervals: 3 } });
      try {
        const heuristic = await loadScheduler(
          builtNode('hpwh-heuristic-scheduler'),
          'hpwh-heuristic-scheduler',
          whole,
        );
        assert.strictEqual(
          (await heuristic.fail({ payload: [0.1, 0.1, 0.1, 0.1], start })).replace(/^Error: /, ''),
          'msg.payload hat 4 Intervalle; der heuristische Planer plant höchstens 3 (sein Aufwand wächst mit dem ' +
            'Quadrat der Anzahl; openadr3HpwhLimits.maxHeuristicIntervals in der settings.js von Node-RED hebt die ' +
            'Grenze an, oder hpwh-lp-scheduler verwenden, der sofort antwortet)',
        );
      } finally {
        helper.settings({});
      }
    });
  });

  it('German: a setting that is not a number is named in German (hpwh-chart)', async () => {
    await inLanguage('de', async () => {
      await helper.load(builtNode('hpwh-chart'), [
        { id: 'c', type: 'hpwh-chart', maxStorage: 'zwölf', wires: [] },
      ]);
      // The node logged it while starting: read the runtime log the helper spies on.
      const logged = (helper as unknown as { log(): { args: Array<[{ msg?: unknown }]> } }).log();
      const messages = logged.args.map((a) => String(a[0]?.msg ?? ''));
      assert.ok(
        messages.includes('Speicher-Maximum muss eine Zahl sein, erhalten: „zwölf“'),
        JSON.stringify(messages),
      );
    });
  });
});
