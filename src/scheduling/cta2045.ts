/**
 * Schedules and prices → CTA-2045 signals, as the reference implementation maps them.
 *   -1 Shed, 0 Normal, 1 Load Up, 2 Advanced Load Up.
 */
import { normalizeParams, NormalizedParams, PerInterval, SchedulerParams, ReferenceParams } from './params';

export const CTA2045_SHED = -1;
export const CTA2045_NORMAL = 0;
export const CTA2045_LOAD_UP = 1;
export const CTA2045_ADVANCED_LOAD_UP = 2;
export type Cta2045Signal = -1 | 0 | 1 | 2;

export const CTA2045_SIGNAL_NAMES: Readonly<Record<Cta2045Signal, string>> = {
  [-1]: 'Shed',
  0: 'Normal',
  1: 'Load Up',
  2: 'Advanced Load Up',
} as Record<Cta2045Signal, string>;

/** Output-fraction thresholds: f < loadUp → Normal; f < advancedLoadUp → Load Up; else Advanced. */
export interface SignalThresholds {
  loadUp: number;
  advancedLoadUp: number;
}
export const DEFAULT_SIGNAL_THRESHOLDS: Readonly<SignalThresholds> = { loadUp: 0.3, advancedLoadUp: 0.8 };

/**
 * One signal per interval from a schedule, by its output relative to maxInput:
 * maxInput 0 → Normal; output 0 → Shed; f < 0.3 → Normal; f < 0.8 → Load Up; else Advanced Load Up.
 * `params` may be full scheduler parameters or just `{ maxInput }` (scalar or per interval).
 */
export function toCta2045Signals(
  schedule: { control: readonly number[] },
  params:
    | SchedulerParams
    | ReferenceParams
    | NormalizedParams
    | { maxInput: PerInterval }
    | { max_input: PerInterval },
  thresholds: Partial<SignalThresholds> = {},
): Cta2045Signal[] {
  const control = schedule.control;
  const n = control.length;
  const maxInput = readMaxInput(params, n);
  const t = { ...DEFAULT_SIGNAL_THRESHOLDS, ...thresholds };
  for (const key of ['loadUp', 'advancedLoadUp'] as const) {
    if (typeof t[key] !== 'number' || !Number.isFinite(t[key])) {
      throw new Error(`toCta2045Signals: thresholds.${key} must be a finite number, got ${String(t[key])}`);
    }
  }
  const signals = new Array<Cta2045Signal>(n);
  for (let h = 0; h < n; h++) {
    const max = maxInput[h];
    const output = control[h];
    if (max === 0) signals[h] = CTA2045_NORMAL;
    else if (output === 0) signals[h] = CTA2045_SHED;
    else if (output / max < t.loadUp) signals[h] = CTA2045_NORMAL;
    else if (output / max < t.advancedLoadUp) signals[h] = CTA2045_LOAD_UP;
    else signals[h] = CTA2045_ADVANCED_LOAD_UP;
  }
  return signals;
}

function readMaxInput(params: object, n: number): number[] {
  const raw = params as Record<string, unknown>;
  if ('price' in raw) {
    const p = normalizeParams(params as SchedulerParams);
    if (p.n !== n) throw new Error(`toCta2045Signals: schedule has ${n} intervals, params have ${p.n}`);
    return p.maxInput;
  }
  const value = raw.maxInput ?? raw.max_input;
  if (typeof value === 'number' && Number.isFinite(value)) return new Array<number>(n).fill(value);
  if (
    Array.isArray(value) &&
    value.length === n &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    return value as number[];
  }
  throw new Error(`toCta2045Signals: params.maxInput must be a finite number or ${n} finite numbers`);
}

/** Price percentiles (0–100) for the direct mapping: ≥ shedAbove → Shed, ≥ normalAbove → Normal, ≥ loadUpAbove → Load Up, else Advanced Load Up. */
export interface PricePercentiles {
  shedAbove: number;
  normalAbove: number;
  loadUpAbove: number;
}
export const DEFAULT_PRICE_PERCENTILES: Readonly<PricePercentiles> = {
  shedAbove: 75,
  normalAbove: 50,
  loadUpAbove: 25,
};

export interface PriceSignals {
  signals: Cta2045Signal[];
  /** The price levels ($/kWh) the percentiles came to. */
  thresholdsUsed: PricePercentiles;
}

/**
 * numpy.percentile with its default method ('linear'), operation for operation so results match
 * numpy bit for bit: virtual index (n − 1)·q/100, then numpy's _lerp (which interpolates from the
 * upper neighbour when the fraction is ≥ 0.5).
 */
export function numpyPercentile(values: readonly number[], percentile: number): number {
  if (values.length === 0) throw new Error('numpyPercentile: no values');
  if (!(percentile >= 0 && percentile <= 100))
    throw new Error(`percentile must be in [0, 100], got ${percentile}`);
  const sorted = values.slice().sort((a, b) => a - b);
  const n = sorted.length;
  const q = percentile / 100;
  const virtual = (n - 1) * q;
  const previous = Math.floor(virtual);
  const gamma = virtual - previous;
  const below = sorted[Math.min(Math.max(previous, 0), n - 1)];
  const above = sorted[Math.min(Math.max(previous + 1, 0), n - 1)];
  const diff = above - below;
  return gamma >= 0.5 ? above - diff * (1 - gamma) : below + diff * gamma;
}

/** The reference implementation's direct mapping from prices to signals by percentile (defaults 75/50/25). */
export function pricesToCta2045(
  prices: readonly number[],
  percentiles:
    Partial<PricePercentiles> | { shed_above?: number; normal_above?: number; load_up_above?: number } = {},
): PriceSignals {
  if (!Array.isArray(prices) || prices.length === 0)
    throw new Error('pricesToCta2045: prices must be a non-empty array');
  prices.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`pricesToCta2045: prices[${i}] must be a finite number, got ${String(v)}`);
    }
  });
  const given = percentiles as Record<string, number | undefined>;
  const pick = (camel: keyof PricePercentiles, snake: string): number => {
    const v = given[camel] ?? given[snake] ?? DEFAULT_PRICE_PERCENTILES[camel];
    if (typeof v !== 'number' || !(v >= 0 && v <= 100)) {
      throw new Error(`pricesToCta2045: percentiles.${camel} must be a number in [0, 100], got ${String(v)}`);
    }
    return v;
  };
  const shed = numpyPercentile(prices, pick('shedAbove', 'shed_above'));
  const normal = numpyPercentile(prices, pick('normalAbove', 'normal_above'));
  const loadUp = numpyPercentile(prices, pick('loadUpAbove', 'load_up_above'));
  const signals = prices.map((price): Cta2045Signal => {
    if (price >= shed) return CTA2045_SHED;
    if (price >= normal) return CTA2045_NORMAL;
    if (price >= loadUp) return CTA2045_LOAD_UP;
    return CTA2045_ADVANCED_LOAD_UP;
  });
  return { signals, thresholdsUsed: { shedAbove: shed, normalAbove: normal, loadUpAbove: loadUp } };
}
