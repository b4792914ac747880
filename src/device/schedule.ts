/**
 * The schedule contract: `{intervals: [{start, end, signal, extraWh?}]}` as both schedulers
 * emit it, read by one parser for every output node. Intervals may come in any order (they are
 * sorted), must not overlap (a heater cannot do two things at once: the plan is wrong, and
 * guessing which interval wins would hide it), and every error names the field at fault.
 */
import { CommandName, SCHEDULE_SIGNALS, SIGNAL_COMMAND } from './commands';
import { DEFAULT_LIMITS, MAX_TIME_MS, MIN_TIME_MS, tooMany } from '../limits';
import { parseIsoDateTime } from '../time/datetime';

/** One interval as a scheduler writes it. */
export interface ScheduleInterval {
  start: string | number | Date;
  end: string | number | Date;
  /** -1 Shed, 0 Normal, 1 Load Up, 2 Advanced Load Up. */
  signal: number;
  /** Extra Wh for Advanced Load Up (optional). */
  extraWh?: number;
}

/** One checked interval: epoch ms, its signal and the command it means. */
export interface ScheduleBlock {
  start: number;
  end: number;
  signal: number;
  command: CommandName;
  extraWh?: number;
}

function timeOf(value: unknown, field: string): number {
  let ms: number;
  if (typeof value === 'string') {
    // Strict: a time without a zone would otherwise be read in the server's local time.
    try {
      ms = parseIsoDateTime(value);
    } catch (err) {
      throw new Error(`${field}: is not a valid time: ${value} (${(err as Error).message})`, { cause: err });
    }
  } else ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : NaN;
  // A time must be a date a clock can reach: 1e308 ms is a finite number but no date.
  if (!Number.isFinite(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS)
    throw new Error(`${field}: is not a valid time: ${String(value)}`);
  return ms;
}

function readInterval(raw: unknown, i: number): ScheduleBlock & { index: number } {
  const at = `schedule.intervals[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${at}: must be an object {start, end, signal}`);
  const it = raw as Partial<Record<keyof ScheduleInterval, unknown>>;
  if (it.start === undefined || it.start === null) throw new Error(`${at}.start: is missing`);
  if (it.end === undefined || it.end === null) throw new Error(`${at}.end: is missing`);
  const start = timeOf(it.start, `${at}.start`);
  const end = timeOf(it.end, `${at}.end`);
  if (end <= start) throw new Error(`${at}.end: must be after start (the interval ends before it starts)`);
  const signal = it.signal;
  if (typeof signal !== 'number' || !SCHEDULE_SIGNALS.includes(signal))
    throw new Error(`${at}.signal: must be -1, 0, 1 or 2 (got ${JSON.stringify(signal)})`);
  const block: ScheduleBlock & { index: number } = {
    index: i,
    start,
    end,
    signal,
    command: SIGNAL_COMMAND[signal],
  };
  if (it.extraWh !== undefined && it.extraWh !== null) {
    const e = it.extraWh;
    if (typeof e !== 'number' || !Number.isFinite(e) || e <= 0)
      throw new Error(`${at}.extraWh: must be a positive number of Wh (got ${JSON.stringify(e)})`);
    block.extraWh = e;
  }
  return block;
}

/**
 * Check schedule intervals and return them sorted by start; throws an error naming the bad
 * field. More than `maxIntervals` is refused before any is looked at: every boundary looks
 * the schedule over.
 */
export function parseSchedule(
  intervals: unknown,
  maxIntervals = DEFAULT_LIMITS.maxScheduleIntervals,
): ScheduleBlock[] {
  if (!Array.isArray(intervals)) throw new Error('schedule.intervals: must be a list (array) of intervals');
  if (intervals.length > maxIntervals)
    throw tooMany('schedule.intervals', intervals.length, maxIntervals, 'maxScheduleIntervals');
  const read = intervals.map(readInterval).sort((a, b) => a.start - b.start || a.index - b.index);
  for (let k = 1; k < read.length; k++) {
    if (read[k].start < read[k - 1].end)
      throw new Error(
        `schedule.intervals[${read[k].index}].start: overlaps the previous interval (intervals[${read[k - 1].index}])`,
      );
  }
  return read.map(({ index: _index, ...block }) => block);
}

/** parseSchedule for a whole schedule object `{intervals: [...]}` (msg.payload). */
export function parseSchedulePayload(
  schedule: unknown,
  maxIntervals = DEFAULT_LIMITS.maxScheduleIntervals,
): ScheduleBlock[] {
  return parseSchedule((schedule as { intervals?: unknown } | null)?.intervals, maxIntervals);
}

/** True when msg.payload looks like a schedule (has an intervals list). */
export function isSchedulePayload(payload: unknown): payload is { intervals: unknown[] } {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    Array.isArray((payload as { intervals?: unknown }).intervals)
  );
}

/**
 * Merge runs of intervals with the same signal into one block each: a 3-hour shed is one
 * block, not twelve. Intervals at most `gapMs` apart still join (a rounding gap is no gap).
 */
export function mergeBlocks(blocks: readonly ScheduleBlock[], gapMs = 0): ScheduleBlock[] {
  const out: ScheduleBlock[] = [];
  for (const b of blocks) {
    const prev = out[out.length - 1];
    if (prev && prev.signal === b.signal && b.start <= prev.end + gapMs) prev.end = Math.max(prev.end, b.end);
    else out.push({ ...b });
  }
  return out;
}

/** The block in force at `at`, if any. */
export function blockAt<B extends { start: number; end: number }>(
  blocks: readonly B[],
  at: number,
): B | undefined {
  return blocks.find((b) => b.start <= at && at < b.end);
}

/** The first start or end after `at`, if any. */
export function nextEdge(blocks: readonly { start: number; end: number }[], at: number): number | undefined {
  let next: number | undefined;
  for (const b of blocks) {
    for (const t of [b.start, b.end]) if (t > at && (next === undefined || t < next)) next = t;
  }
  return next;
}
