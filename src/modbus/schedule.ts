/**
 * Walk a schedule (scheduler output contract: `{intervals: [{start, end, signal, ...}]}`) as
 * blocks of one command: consecutive intervals with the same signal merge, so a 3-hour shed
 * is one write at its start, not twelve.
 */
import { ModbusCommand, SIGNAL_COMMAND } from './register-map';

export interface CommandBlock {
  command: ModbusCommand;
  signal: number;
  start: number; // epoch ms
  end: number; // epoch ms
}

/** Turn `msg.payload` into blocks; throws an error naming the field when it is not a schedule. */
export function scheduleBlocks(schedule: unknown): CommandBlock[] {
  const intervals = (schedule as { intervals?: unknown })?.intervals;
  if (!Array.isArray(intervals)) throw new Error('schedule.intervals: must be a list of intervals');
  const blocks: CommandBlock[] = [];
  intervals.forEach((raw, i) => {
    const iv = raw as { start?: unknown; end?: unknown; signal?: unknown };
    const start = typeof iv?.start === 'string' ? Date.parse(iv.start) : NaN;
    const end = typeof iv?.end === 'string' ? Date.parse(iv.end) : NaN;
    if (!Number.isFinite(start)) throw new Error(`schedule.intervals[${i}].start: must be an ISO-8601 time`);
    if (!Number.isFinite(end) || end <= start)
      throw new Error(`schedule.intervals[${i}].end: must be an ISO-8601 time after start`);
    const signal = iv.signal;
    if (typeof signal !== 'number' || !(signal in SIGNAL_COMMAND))
      throw new Error(
        `schedule.intervals[${i}].signal: must be -1, 0, 1 or 2 (got ${JSON.stringify(signal)})`,
      );
    const prev = blocks[blocks.length - 1];
    if (prev && start < prev.end)
      throw new Error(`schedule.intervals[${i}].start: overlaps the previous interval`);
    if (prev && prev.signal === signal && prev.end === start) prev.end = end;
    else blocks.push({ command: SIGNAL_COMMAND[signal], signal, start, end });
  });
  return blocks;
}

/** The block in force at `now`, if any. */
export function blockAt(blocks: CommandBlock[], now: number): CommandBlock | undefined {
  return blocks.find((b) => b.start <= now && now < b.end);
}

/** The next time after `now` at which the commanded block changes (a start or an end). */
export function nextBoundary(blocks: CommandBlock[], now: number): number | undefined {
  let next: number | undefined;
  for (const b of blocks) {
    for (const t of [b.start, b.end]) if (t > now && (next === undefined || t < next)) next = t;
  }
  return next;
}
