/**
 * SG-Ready: the heat-pump input of two relay contacts and four operating states (the common
 * standard for heat pumps in Europe). State 1 is the utility lock (heat pump off), 2 normal,
 * 3 a switch-on recommendation, 4 a switch-on order. A lock is bounded by the rules the
 * heat pump and its tariff expect: a lock lasts at most `maxLockMs`, and the next lock may
 * start only `minReleaseMs` after the last one ended. The limiter enforces both and says when
 * the plan asked for more, so the plan never holds a heat pump off longer than it may be.
 */
import { CommandName, resolveCommand } from './commands';

export type SgReadyState = 1 | 2 | 3 | 4;

/** Relay contacts [relay 1, relay 2] of each operating state (closed = true). */
export const SG_READY_RELAYS: Readonly<Record<SgReadyState, readonly [boolean, boolean]>> = Object.freeze({
  1: [true, false],
  2: [false, false],
  3: [false, true],
  4: [true, true],
});

/** The command each state stands for (what a device without SG-Ready would be told). */
export const SG_READY_COMMAND: Readonly<Record<SgReadyState, CommandName>> = Object.freeze({
  1: 'shed',
  2: 'normal',
  3: 'loadup',
  4: 'advanced-loadup',
});

/** The four commands a schedule can carry; stronger sheds follow shed. */
export type PlanCommand = 'shed' | 'normal' | 'loadup' | 'advanced-loadup';
export const PLAN_COMMANDS: readonly PlanCommand[] = ['shed', 'normal', 'loadup', 'advanced-loadup'];

/** Command → operating state. */
export type SgReadyMap = Record<PlanCommand, SgReadyState>;
export const DEFAULT_SG_READY_MAP: Readonly<SgReadyMap> = Object.freeze({
  shed: 1,
  normal: 2,
  loadup: 3,
  'advanced-loadup': 4,
});

/** Lock limits in ms (0 = no limit). Defaults: 2 h lock at most, 1 h normal between locks. */
export interface SgReadyLimits {
  maxLockMs: number;
  minReleaseMs: number;
}
export const DEFAULT_SG_READY_LIMITS: Readonly<SgReadyLimits> = Object.freeze({
  maxLockMs: 2 * 3600_000,
  minReleaseMs: 3600_000,
});

/** What the limiter remembers (kept across restarts, so a restart cannot reset the lock clock). */
export interface LockHistory {
  /** When the lock in force began; null when none is. */
  lockStart: number | null;
  /** When the last lock ended; null when there was none. */
  lastLockEnd: number | null;
}

export interface LimitedState {
  state: SgReadyState;
  /** Why the plan's state was not given: the lock ran its longest, or came too soon after the last. */
  limited: 'max-lock' | 'min-release' | null;
  /** When the answer may change even if the plan does not (lock limit, end of the release time). */
  recheckAt: number | null;
  history: LockHistory;
}

/** The map's state for a command (critical-peak / grid-emergency count as shed). */
export function sgReadyStateFor(command: CommandName, map: SgReadyMap): SgReadyState {
  const base = resolveCommand(command, (c) =>
    (PLAN_COMMANDS as readonly string[]).includes(c),
  ) as PlanCommand;
  return map[base];
}

/** Check a mapping from the editor (object or JSON text); errors name the field. */
export function parseSgReadyMap(input: unknown): SgReadyMap {
  const value = typeof input === 'string' && input.trim() !== '' ? (JSON.parse(input) as unknown) : input;
  if (value === undefined || value === null || value === '') return { ...DEFAULT_SG_READY_MAP };
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('sgReadyMap: must be an object');
  const out: SgReadyMap = { ...DEFAULT_SG_READY_MAP };
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!(PLAN_COMMANDS as readonly string[]).includes(key))
      throw new Error(`sgReadyMap.${key}: unknown command (known: ${PLAN_COMMANDS.join(', ')})`);
    const state = Number(raw);
    if (![1, 2, 3, 4].includes(state))
      throw new Error(
        `sgReadyMap.${key}: must be an operating state 1, 2, 3 or 4 (got ${JSON.stringify(raw)})`,
      );
    out[key as PlanCommand] = state as SgReadyState;
  }
  return out;
}

/**
 * The state to give at `at` when the plan wants `wanted`, within the lock limits. Pure: the
 * caller keeps the returned history and asks again at `recheckAt` or the plan's next boundary.
 */
export function limitSgReady(
  wanted: SgReadyState,
  at: number,
  history: LockHistory,
  limits: SgReadyLimits,
): LimitedState {
  const { maxLockMs, minReleaseMs } = limits;
  if (wanted !== 1) {
    const ended = history.lockStart !== null ? { lockStart: null, lastLockEnd: at } : history;
    return { state: wanted, limited: null, recheckAt: null, history: ended };
  }
  if (history.lockStart !== null) {
    const cutAt = history.lockStart + maxLockMs;
    if (maxLockMs > 0 && at >= cutAt) {
      // The lock ran its longest: release it (from when it should have ended, also after a restart).
      return {
        state: 2,
        limited: 'max-lock',
        recheckAt: cutAt + minReleaseMs > at ? cutAt + minReleaseMs : null,
        history: { lockStart: null, lastLockEnd: cutAt },
      };
    }
    return { state: 1, limited: null, recheckAt: maxLockMs > 0 ? cutAt : null, history };
  }
  const releasedUntil = history.lastLockEnd === null ? null : history.lastLockEnd + minReleaseMs;
  if (minReleaseMs > 0 && releasedUntil !== null && at < releasedUntil)
    return { state: 2, limited: 'min-release', recheckAt: releasedUntil, history };
  return {
    state: 1,
    limited: null,
    recheckAt: maxLockMs > 0 ? at + maxLockMs : null,
    history: { lockStart: at, lastLockEnd: history.lastLockEnd },
  };
}
