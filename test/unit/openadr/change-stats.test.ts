/** ChangeStats: counts of change events one VTN instance heard and their lag from commit. */
import assert from 'assert';
import { ChangeStats, formatChangeStats, parseChangeStats, type Change } from '../../../src';

const T0 = Date.parse('2026-02-17T00:00:00.000Z');

function change(operation: Change['operation'], stampedAt: number, remote = false): Change {
  const at = new Date(stampedAt).toISOString();
  return {
    objectType: 'REPORT',
    operation,
    object: { id: 'r', createdDateTime: at, modificationDateTime: at },
    ...(remote ? { remote: true } : {}),
  };
}

describe('VTN: ChangeStats (change-event fan-out counters)', () => {
  it('counts local and remote changes and gives lag quantiles from modificationDateTime', () => {
    let now = T0;
    const stats = new ChangeStats(() => now);
    now = T0 + 1000;
    // 100 changes heard 1..100 ms after their stamp; every other one remote.
    for (let i = 1; i <= 100; i++) stats.record(change('POST', now - i, i % 2 === 0));
    const s = stats.snapshot();
    assert.deepStrictEqual(s, {
      seconds: 1,
      heard: 100,
      local: 50,
      remote: 50,
      timed: 100,
      lagP50Ms: 50,
      lagP99Ms: 99,
      lagMaxMs: 100,
    });
  });

  it('counts deletes without timing them, clamps a clock behind the committer to 0, and resets', () => {
    let now = T0;
    const stats = new ChangeStats(() => now);
    stats.record(change('DELETE', T0 - 5000)); // the last modification's time, not the delete's
    stats.record(change('PUT', T0 + 40)); // stamped "after" it was heard: another host's clock
    stats.record(change('POST', T0 - 70_000, true)); // beyond the histogram: exact max still
    now = T0 + 2500;
    const s = stats.snapshot(true);
    assert.deepStrictEqual(
      [s.heard, s.local, s.remote, s.timed, s.lagP50Ms, s.lagMaxMs, s.seconds],
      [3, 2, 1, 2, 0, 70_000, 2.5],
    );
    assert.strictEqual(s.lagP99Ms, 70_000, 'capped by the exact max, not the last bucket');
    now = T0 + 3500;
    assert.deepStrictEqual(stats.snapshot(), {
      seconds: 1,
      heard: 0,
      local: 0,
      remote: 0,
      timed: 0,
      lagP50Ms: 0,
      lagP99Ms: 0,
      lagMaxMs: 0,
    });
  });

  it('formats one line that parses back', () => {
    const s = {
      seconds: 10,
      heard: 1700,
      local: 850,
      remote: 850,
      timed: 1700,
      lagP50Ms: 2,
      lagP99Ms: 14,
      lagMaxMs: 31,
    };
    const line = formatChangeStats(s);
    assert.strictEqual(
      line,
      'change events in 10.0 s: heard 1700 (local 850, remote 850), lag p50 2 ms, p99 14 ms, max 31 ms (1700 timed)',
    );
    assert.deepStrictEqual(parseChangeStats(`[vtn] ${line}`), s);
    assert.strictEqual(parseChangeStats('OpenADR 3.0.1 VTN listening at http://…'), undefined);
  });
});
