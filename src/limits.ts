/**
 * Size limits for work that grows faster than the input: each is checked before the work starts
 * and refused with an error naming the limit, so one oversized message can never block Node-RED's
 * single thread. The nodes read the configured values from `openadr3HpwhLimits` in settings.js
 * (nodes/shared/limits.ts); these are the defaults.
 */

export interface PackLimits {
  /** Nesting depth of user data a node walks or forwards (an OpenADR event is under 10 levels). */
  maxPayloadDepth: number;
  /** Intervals the heuristic scheduler plans (its work grows with about the square of the count). */
  maxHeuristicIntervals: number;
  /** Intervals the CTA-2045 and Modbus schedule runners accept in one schedule. */
  maxScheduleIntervals: number;
}

export const DEFAULT_LIMITS: Readonly<PackLimits> = Object.freeze({
  maxPayloadDepth: 64,
  // 30 days of 15-minute intervals: 0.04–0.6 s of work on one core, depending on the prices and tank.
  maxHeuristicIntervals: 2880,
  // A year of hourly intervals, with room: each boundary looks the schedule over once.
  maxScheduleIntervals: 10000,
});

/** Where a user raises a limit (named in every limit error). */
export const LIMITS_SETTING = 'openadr3HpwhLimits';

/**
 * The longest single command (durationSeconds): 366 days. Longer ones are mistakes (a duration in
 * ms, or 1e308) and would end beyond the range of a date.
 */
export const MAX_COMMAND_SECONDS = 366 * 24 * 3600;

/** Latest time accepted anywhere a schedule or command ends: the end of year 9999. */
export const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Earliest time accepted: 1970 (nothing is scheduled before the epoch). */
export const MIN_TIME_MS = 0;

/** Error for `count` items over `limit`, naming the field and the setting that raises it. */
export function tooMany(field: string, count: number, limit: number, setting: keyof PackLimits): Error {
  return new Error(
    `${field} has ${count} intervals; at most ${limit} are accepted (${LIMITS_SETTING}.${setting} in Node-RED's settings.js raises the limit)`,
  );
}

/**
 * Throws when `value` is nested deeper than `limit` (objects and arrays), naming `field`.
 * Iterative, so a value nested 100,000 levels deep is measured without overflowing the stack;
 * circular references are not followed twice; getters are not run (only data properties count).
 */
export function checkDepth(value: unknown, limit: number, field: string): void {
  if (typeof value !== 'object' || value === null) return;
  const seen = new Set<object>([value]);
  const stack: Array<[object, number]> = [[value, 1]];
  while (stack.length) {
    const [obj, depth] = stack.pop()!;
    if (depth > limit) {
      throw new Error(
        `${field} is nested more than ${limit} levels deep (${LIMITS_SETTING}.maxPayloadDepth in Node-RED's settings.js raises the limit)`,
      );
    }
    if (ArrayBuffer.isView(obj)) continue;
    for (const key of Object.keys(obj)) {
      const d = Object.getOwnPropertyDescriptor(obj, key);
      const child = d && 'value' in d ? (d.value as unknown) : undefined;
      if (typeof child === 'object' && child !== null && !seen.has(child)) {
        seen.add(child);
        stack.push([child, depth + 1]);
      }
    }
  }
}
