/**
 * From a price timeline and a heater to a schedule in the pipeline's shape (the scheduler nodes'
 * `msg.payload`), and receding-horizon planning: `planFrom(now, timeline, state)` re-plans the rest
 * of the horizon from the current tank level; only the current interval is acted on.
 */
import { Cta2045Signal, SignalThresholds, toCta2045Signals } from './cta2045';
import { scheduleHeuristic } from './heuristic';
import { scheduleLp } from './lp';
import { normalizeParams, SchedulerParams, SchedulingParamsError, ReferenceParams } from './params';
import { Algorithm, LpEngine, ScheduleResult } from './result';
import { drawForIntervals, DrawProfileName } from './profile';
import { iso, PriceInterval } from './timeline';
import { Violation } from './soc';
import { instantOf } from '../time/datetime';

/** A heat-pump water heater, in the units people know (defaults: an 80-gallon HPWH). */
export interface HeaterSettings {
  /** Usable tank energy at full charge (kWh thermal). */
  capacityKwh: number;
  /** Energy the tank must always keep (kWh). */
  reserveKwh: number;
  /** Heat-pump thermal output at full power (kW). */
  maxOutputKw: number;
  /** Minimum thermal output while the interval runs (kW), usually 0. */
  minOutputKw: number;
  cop: number;
  /** Hot-water draw per day (kWh thermal) for the built-in profiles. */
  dailyDrawKwh: number;
  drawProfile: DrawProfileName;
  /** IANA time zone for the residential profile's hours (default: this process's zone). */
  timeZone?: string;
}

export const DEFAULT_HEATER: Readonly<HeaterSettings> = {
  capacityKwh: 12,
  reserveKwh: 1,
  maxOutputKw: 4.5,
  minOutputKw: 0,
  cop: 3,
  dailyDrawKwh: 10,
  drawProfile: 'residential',
};

export interface ScheduleInterval {
  start: string;
  end: string;
  price: number;
  /** Heat-pump thermal output (kWh) in this interval. */
  control: number;
  /** Electricity cost ($). */
  cost: number;
  /** Tank energy at the end of the interval (kWh). */
  soc: number;
  /** CTA-2045: -1 Shed, 0 Normal, 1 Load Up, 2 Advanced Load Up. */
  signal: Cta2045Signal;
  /** Forecast draw (kWh thermal). */
  load: number;
}

/** The scheduler nodes' msg.payload. */
export interface SchedulePayload {
  intervals: ScheduleInterval[];
  totalCost: number;
  baselineCost: number;
  savings: number;
  savingsPercent: number | null;
  converged: boolean;
  feasible: boolean;
  violations: Violation[];
  algorithm: Algorithm;
  engine?: LpEngine;
  initialSoc: number;
}

export interface ScheduleOptions {
  algorithm: Algorithm;
  engine?: LpEngine;
  thresholds?: Partial<SignalThresholds>;
}

const hoursOf = (i: { start: string; end: string }): number =>
  (instantOf(i.end) - instantOf(i.start)) / 3_600_000;

/** Scheduler parameters for a timeline: per-interval output limits from each interval's length. */
export function paramsForTimeline(
  timeline: readonly PriceInterval[],
  heaterSettings: Partial<HeaterSettings>,
  soc: number,
  load?: readonly number[],
  finalSoc?: number,
): SchedulerParams {
  const heater = resolveHeater(heaterSettings);
  const hours = timeline.map(hoursOf);
  const draw = load ?? drawForIntervals(timeline, heater.drawProfile, heater.dailyDrawKwh, heater.timeZone);
  if (draw.length !== timeline.length) {
    throw new SchedulingParamsError(
      'load',
      `must have ${timeline.length} values (one per price), got ${draw.length}`,
    );
  }
  return {
    price: timeline.map((i) => i.price),
    load: draw,
    cop: heater.cop,
    initialSoc: soc,
    minStorage: heater.reserveKwh,
    maxStorage: heater.capacityKwh,
    minInput: hours.map((h) => heater.minOutputKw * h),
    maxInput: hours.map((h) => heater.maxOutputKw * h),
    intervalHours: hours.length ? hours[hours.length - 1] : 1,
    finalSoc,
  };
}

/** Fill defaults and check the heater's settings (errors name the setting). */
export function resolveHeater(settings: Partial<HeaterSettings>): HeaterSettings {
  const heater: HeaterSettings = { ...DEFAULT_HEATER };
  for (const [key, value] of Object.entries(settings)) {
    if (value !== undefined && value !== '') (heater as unknown as Record<string, unknown>)[key] = value;
  }
  const positive = (key: keyof HeaterSettings, allowZero: boolean) => {
    const v = heater[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      throw new SchedulingParamsError(
        key,
        `must be a number ${allowZero ? '>= 0' : '> 0'}, got ${JSON.stringify(v)}`,
      );
    }
  };
  positive('capacityKwh', false);
  positive('reserveKwh', true);
  positive('maxOutputKw', true);
  positive('minOutputKw', true);
  positive('cop', false);
  positive('dailyDrawKwh', true);
  if (heater.reserveKwh > heater.capacityKwh) {
    throw new SchedulingParamsError(
      'reserveKwh',
      `(${heater.reserveKwh}) must be <= capacityKwh (${heater.capacityKwh})`,
    );
  }
  if (heater.minOutputKw > heater.maxOutputKw) {
    throw new SchedulingParamsError(
      'minOutputKw',
      `(${heater.minOutputKw}) must be <= maxOutputKw (${heater.maxOutputKw})`,
    );
  }
  return heater;
}

/** Run the chosen scheduler. */
export function runScheduler(
  params: SchedulerParams | ReferenceParams,
  options: Pick<ScheduleOptions, 'algorithm' | 'engine'>,
): ScheduleResult {
  if (options.algorithm === 'heuristic') return scheduleHeuristic(params);
  if (options.algorithm === 'lp') return scheduleLp(params, { engine: options.engine });
  throw new Error(`unknown algorithm "${String(options.algorithm)}" (use "lp" or "heuristic")`);
}

/** Schedule a timeline with the given parameters and put the answer in the pipeline's shape. */
export function scheduleTimeline(
  timeline: readonly PriceInterval[],
  params: SchedulerParams | ReferenceParams,
  options: ScheduleOptions,
): SchedulePayload {
  const p = normalizeParams(params);
  if (p.n !== timeline.length) {
    throw new SchedulingParamsError(
      'price',
      `has ${p.n} values but the timeline has ${timeline.length} intervals`,
    );
  }
  const result = runScheduler(p, options);
  return toPayload(timeline, p.price, p.load, p.maxInput, p.initialSoc, result, options.thresholds);
}

function toPayload(
  timeline: readonly PriceInterval[],
  price: readonly number[],
  load: readonly number[],
  maxInput: readonly number[],
  initialSoc: number,
  result: ScheduleResult,
  thresholds?: Partial<SignalThresholds>,
): SchedulePayload {
  const signals = toCta2045Signals(result, { maxInput: maxInput.slice() }, thresholds);
  const payload: SchedulePayload = {
    intervals: timeline.map((t, h) => ({
      start: t.start,
      end: t.end,
      price: price[h],
      control: result.control[h],
      cost: result.cost[h],
      soc: result.soc[h + 1],
      signal: signals[h],
      load: load[h],
    })),
    totalCost: result.totalCost,
    baselineCost: result.baselineCost,
    savings: result.savings,
    savingsPercent: result.savingsPercent,
    converged: result.converged,
    feasible: result.feasible,
    violations: result.violations,
    algorithm: result.algorithm,
    initialSoc,
  };
  if (result.engine) payload.engine = result.engine;
  return payload;
}

export interface PlanState {
  /** Tank energy now (kWh). */
  soc: number;
  heater?: Partial<HeaterSettings>;
  /** Draw per interval of the given timeline (kWh); default: the heater's profile. */
  load?: readonly number[];
  /** Minimum tank energy at the end of the horizon (kWh). */
  finalSoc?: number;
  algorithm?: Algorithm;
  engine?: LpEngine;
  thresholds?: Partial<SignalThresholds>;
}

export interface Plan extends SchedulePayload {
  /** The interval containing `now` — the only one to act on — or null if none does. */
  current: ScheduleInterval | null;
}

/**
 * Receding horizon: drop the intervals that have ended, start the current one at `now` (its draw
 * and output limits shrink with the time left), schedule the rest from the tank's current level.
 */
export function planFrom(
  now: Date | string | number,
  timeline: readonly PriceInterval[],
  state: PlanState,
): Plan {
  const nowMs = now instanceof Date ? now.getTime() : typeof now === 'number' ? now : instantOf(now);
  if (!Number.isFinite(nowMs)) throw new Error(`planFrom: now must be a date, got ${JSON.stringify(now)}`);
  if (!state || typeof state.soc !== 'number' || !Number.isFinite(state.soc)) {
    throw new SchedulingParamsError(
      'soc',
      `must be the tank's current energy in kWh, got ${JSON.stringify(state?.soc)}`,
    );
  }
  if (state.load && state.load.length !== timeline.length) {
    throw new SchedulingParamsError(
      'load',
      `must have ${timeline.length} values (one per price), got ${state.load.length}`,
    );
  }
  const remaining: PriceInterval[] = [];
  const load: number[] = [];
  timeline.forEach((interval, i) => {
    const start = instantOf(interval.start);
    const end = instantOf(interval.end);
    if (end <= nowMs) return;
    const from = Math.max(start, nowMs);
    remaining.push({ ...interval, start: iso(from) });
    if (state.load) load.push((state.load[i] * (end - from)) / (end - start));
  });
  if (remaining.length === 0) {
    const last = timeline.length ? timeline[timeline.length - 1].end : 'never';
    throw new Error(`planFrom: every interval has ended (the timeline ends ${last}, now is ${iso(nowMs)})`);
  }
  const params = paramsForTimeline(
    remaining,
    state.heater ?? {},
    state.soc,
    state.load ? load : undefined,
    state.finalSoc,
  );
  const payload = scheduleTimeline(remaining, params, {
    algorithm: state.algorithm ?? 'lp',
    engine: state.engine,
    thresholds: state.thresholds,
  });
  const first = payload.intervals[0];
  const current = instantOf(first.start) <= nowMs && nowMs < instantOf(first.end) ? first : null;
  return { ...payload, current };
}
