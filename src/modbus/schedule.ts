/**
 * Walk a schedule (scheduler output contract: `{intervals: [{start, end, signal, ...}]}`) as
 * blocks of one command: consecutive intervals with the same signal merge, so a 3-hour shed
 * is one write at its start, not twelve. Parsing is the device contract's (src/device).
 */
import { blockAt as deviceBlockAt, mergeBlocks, nextEdge, parseSchedulePayload } from '../device/schedule';
import type { ModbusCommand } from './register-map';
import { DEFAULT_LIMITS } from '../limits';

export interface CommandBlock {
  command: ModbusCommand;
  signal: number;
  start: number; // epoch ms
  end: number; // epoch ms
}

/**
 * Turn `msg.payload` into blocks; throws an error naming the field when it is not a schedule.
 * More than `maxIntervals` is refused before any is looked at (each boundary scans the blocks).
 */
export function scheduleBlocks(
  schedule: unknown,
  maxIntervals = DEFAULT_LIMITS.maxScheduleIntervals,
): CommandBlock[] {
  return mergeBlocks(parseSchedulePayload(schedule, maxIntervals)).map(({ command, signal, start, end }) => ({
    command,
    signal,
    start,
    end,
  }));
}

/** The block in force at `now`, if any. */
export function blockAt(blocks: CommandBlock[], now: number): CommandBlock | undefined {
  return deviceBlockAt(blocks, now);
}

/** The next time after `now` at which the commanded block changes (a start or an end). */
export function nextBoundary(blocks: CommandBlock[], now: number): number | undefined {
  return nextEdge(blocks, now);
}
