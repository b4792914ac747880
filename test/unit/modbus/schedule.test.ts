import assert from 'assert';
import { blockAt, nextBoundary, scheduleBlocks } from '../../../src/modbus/schedule';

const t = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
const iv = (from: number, to: number, signal: number) => ({ start: t(from), end: t(to), signal, price: 0.1 });

describe('modbus schedule blocks', () => {
  it('merges consecutive intervals with the same signal into one block', () => {
    const blocks = scheduleBlocks({
      intervals: [iv(0, 15, -1), iv(15, 30, -1), iv(30, 45, 1), iv(45, 60, 2), iv(60, 75, 0)],
    });
    assert.deepStrictEqual(
      blocks.map((b) => [b.command, (b.end - b.start) / 60000]),
      [
        ['shed', 30],
        ['loadup', 15],
        ['advanced-loadup', 15],
        ['normal', 15],
      ],
    );
  });

  it('finds the block in force and the next boundary, across a gap', () => {
    const blocks = scheduleBlocks({ intervals: [iv(0, 15, -1), iv(30, 45, 1)] });
    const at = (m: number) => Date.parse(t(m));
    assert.strictEqual(blockAt(blocks, at(5))?.command, 'shed');
    assert.strictEqual(blockAt(blocks, at(20)), undefined);
    assert.strictEqual(nextBoundary(blocks, at(5)), at(15));
    assert.strictEqual(nextBoundary(blocks, at(15)), at(30));
    assert.strictEqual(nextBoundary(blocks, at(45)), undefined);
  });

  it('rejects malformed schedules naming the field', () => {
    assert.throws(() => scheduleBlocks({}), /schedule\.intervals: must be a list/);
    assert.throws(
      () => scheduleBlocks({ intervals: [{ start: 'x', end: t(1), signal: 0 }] }),
      /intervals\[0\]\.start/,
    );
    assert.throws(() => scheduleBlocks({ intervals: [iv(5, 5, 0)] }), /intervals\[0\]\.end/);
    assert.throws(
      () => scheduleBlocks({ intervals: [iv(0, 5, 3)] }),
      /intervals\[0\]\.signal: must be -1, 0, 1 or 2/,
    );
    assert.throws(
      () => scheduleBlocks({ intervals: [iv(0, 10, 0), iv(5, 15, 1)] }),
      /intervals\[1\]\.start: overlaps/,
    );
  });
});
