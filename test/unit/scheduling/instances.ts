/**
 * Random scheduling instances for property tests, from a seeded generator so a failure names an
 * instance that can be replayed. Mixes the cases that break schedulers: negative prices, price
 * ties, zero draw, tight tanks (min = max), per-interval bounds, tanks starting outside their
 * limits, large minimum inputs, terminal levels, and infeasible draws.
 */
import type { SchedulerParams } from '../../../src';

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface InstanceOptions {
  maxN?: number;
  /** Keep the reference implementation's conventions: per-interval COP list, no finalSoc (for the Python comparison). */
  referenceCompatible?: boolean;
}

export function randomInstance(seed: number, options: InstanceOptions = {}): SchedulerParams {
  const rnd = prng(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(rnd() * items.length)];
  // "+ 0" turns -0 into 0: JSON (our way to the Python side) cannot carry -0.
  const round = (x: number, step: number) => Math.round(x / step) * step + 0;
  const n = 1 + Math.floor(rnd() * (options.maxN ?? 30));
  const priceStyle = pick(['smooth', 'ties', 'negative', 'mixed']);
  const tiers = [0.08, 0.12, 0.2, 0.35].slice(0, 2 + Math.floor(rnd() * 3));
  const price = Array.from({ length: n }, (_, h) => {
    switch (priceStyle) {
      case 'smooth':
        return 0.12 + 0.05 * Math.sin((2 * Math.PI * h) / 24 + rnd()) + 0.01 * rnd();
      case 'ties':
        return pick(tiers);
      case 'negative':
        return rnd() < 0.4 ? -0.1 * rnd() : 0.3 * rnd();
      default:
        return rnd() < 0.15 ? pick([0, -0.02, 0.1]) : round(0.4 * rnd() - 0.05, 0.001);
    }
  });
  const loadStyle = pick(['typical', 'typical', 'zero', 'sparse', 'heavy']);
  const load = Array.from({ length: n }, () => {
    switch (loadStyle) {
      case 'zero':
        return 0;
      case 'sparse':
        return rnd() < 0.7 ? 0 : 3 * rnd();
      case 'heavy':
        return 1.5 + 3 * rnd();
      default:
        return round(2 * rnd(), 0.25);
    }
  });
  const copPerInterval = options.referenceCompatible || rnd() < 0.5;
  const cop = copPerInterval ? Array.from({ length: n }, () => 1.5 + 3 * rnd()) : 2 + 2 * rnd();
  const tankStyle = pick(['normal', 'normal', 'normal', 'tight', 'zero-width', 'outside']);
  const minStorage = round(2 * rnd(), 0.5);
  const width =
    tankStyle === 'zero-width' ? 0 : tankStyle === 'tight' ? round(1.5 * rnd(), 0.25) : 4 + 10 * rnd();
  const maxStorage = minStorage + width;
  let initialSoc = minStorage + width * rnd();
  if (tankStyle === 'outside')
    initialSoc = rnd() < 0.5 ? maxStorage + 2 * rnd() : Math.max(0, minStorage - 1);
  const inputStyle = pick(['scalar', 'scalar', 'per-interval', 'large-min', 'with-zeros']);
  let minInput: number | number[] = 0;
  let maxInput: number | number[] = round(1 + 5 * rnd(), 0.5);
  if (inputStyle === 'per-interval') {
    maxInput = Array.from({ length: n }, () => round(6 * rnd(), 0.25));
    minInput = (maxInput as number[]).map((m) => (rnd() < 0.3 ? round(m * rnd(), 0.25) : 0));
  } else if (inputStyle === 'large-min') {
    minInput = round((maxInput as number) * (0.3 + 0.6 * rnd()), 0.25);
  } else if (inputStyle === 'with-zeros') {
    maxInput = Array.from({ length: n }, () => (rnd() < 0.3 ? 0 : 4.5));
  }
  const params: SchedulerParams = {
    price,
    load,
    cop,
    initialSoc,
    minStorage,
    maxStorage,
    minInput,
    maxInput,
  };
  if (!options.referenceCompatible && rnd() < 0.3) params.finalSoc = minStorage + width * rnd();
  return params;
}
