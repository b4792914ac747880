import assert from 'assert';
import { scheduleHeuristic } from '../../src';
import { builtNode, helper } from '../support/node-helper';
import { loadScheduler } from './scheduler-support';

const heuristicNode = builtNode('hpwh-heuristic-scheduler');

describe('nodes: hpwh-heuristic-scheduler', () => {
  afterEach(() => helper.unload());

  it('sends the reference greedy’s schedule for msg.params, with signals and savings', async () => {
    const t = await loadScheduler(heuristicNode, 'hpwh-heuristic-scheduler');
    const params = {
      price: [0.3, 0.1, 0.2, 0.4, 0.15, 0.35],
      load: [1, 1, 2, 1, 1, 2],
      cop: 3,
      initialSoc: 2,
      minStorage: 1,
      maxStorage: 10,
      maxInput: 4,
    };
    const msg = await t.send({ params, start: '2026-03-01T00:00:00Z' });
    const expected = scheduleHeuristic(params);
    assert.deepStrictEqual(
      msg.payload.intervals.map((i) => i.control),
      expected.control,
    );
    assert.strictEqual(msg.payload.algorithm, 'heuristic');
    assert.strictEqual(msg.payload.engine, undefined);
    assert.strictEqual(msg.payload.baselineCost, expected.baselineCost);
    assert.deepStrictEqual(
      msg.payload.intervals.map((i) => i.signal),
      expected.control.map((c) => (c === 0 ? -1 : c / 4 < 0.3 ? 0 : c / 4 < 0.8 ? 1 : 2)),
    );
    assert.strictEqual(msg.payload.intervals[1].start, '2026-03-01T01:00:00.000Z');
    assert.strictEqual(t.statuses.at(-1)?.fill, 'green');
    assert.match(t.statuses.at(-1)!.text!, / · 6 intervals$/);
  });

  it('warns when the reference greedy claims converged but breaks a limit (tank starting above capacity)', async () => {
    const t = await loadScheduler(heuristicNode, 'hpwh-heuristic-scheduler', { horizon: 'all' });
    const msg = await t.send({ payload: [0.1, 0.2, 0.3], soc: 15, start: '2026-03-01T00:00:00Z' });
    assert.strictEqual(msg.payload.converged, true);
    assert.strictEqual(msg.payload.feasible, false);
    assert.strictEqual(msg.payload.violations[0].kind, 'maxStorage');
    assert.match(t.warnings.join('\n'), /says converged but its schedule breaks \d+ limit/);
  });

  it('refuses more intervals than its limit before starting, naming the limit (100,000 prices)', async () => {
    const t = await loadScheduler(heuristicNode, 'hpwh-heuristic-scheduler', {
      horizon: 'all',
      drawProfile: 'flat',
    });
    const started = Date.now();
    const message = await t.fail({ payload: new Array(100_000).fill(0.1), start: '2026-03-01T00:00:00Z' });
    assert.match(message, /100000 intervals.*at most \d+.*maxHeuristicIntervals/);
    assert.ok(Date.now() - started < 5000, 'answered at once');
  });

  it('the limit is configurable in settings.js (openadr3HpwhLimits.maxHeuristicIntervals)', async () => {
    helper.settings({ openadr3HpwhLimits: { maxHeuristicIntervals: 12 } });
    try {
      const t = await loadScheduler(heuristicNode, 'hpwh-heuristic-scheduler', {
        horizon: 'all',
        drawProfile: 'flat',
      });
      const start = '2026-03-01T00:00:00Z';
      assert.match(await t.fail({ payload: new Array(13).fill(0.1), start }), /13 intervals.*at most 12/);
      const ok = await t.send({ payload: new Array(12).fill(0.1), start });
      assert.strictEqual(ok.payload.intervals.length, 12);
    } finally {
      helper.settings({});
    }
  });
});
