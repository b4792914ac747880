/**
 * The tank model shared by every scheduler: soc[0] = initialSoc, soc[h+1] = soc[h] + control[h] −
 * load[h], no losses. The arithmetic is written in the seed's order so results match it bit for bit.
 */
import {
  energyTolerance,
  normalizeParams,
  NormalizedParams,
  requiredLevelAfter,
  SchedulerParams,
  SeedParams,
} from './params';

/** Tank energy at every interval boundary: n + 1 values, soc[0] = initialSoc. */
export function simulateSoc(
  control: readonly number[],
  params: SchedulerParams | SeedParams | NormalizedParams,
): number[] {
  const p = normalizeParams(params);
  if (control.length !== p.n) {
    throw new Error(`simulateSoc: control has ${control.length} values but the horizon has ${p.n} intervals`);
  }
  return socTrace(control, p);
}

/** simulateSoc without validation, for the algorithms' inner loops. */
export function socTrace(control: readonly number[], p: NormalizedParams): number[] {
  const soc = new Array<number>(p.n + 1);
  soc[0] = p.initialSoc;
  for (let h = 0; h < p.n; h++) soc[h + 1] = soc[h] + control[h] - p.load[h];
  return soc;
}

/**
 * The seed's overflow clip: walk forward and cut any interval that would push the tank above
 * maxStorage (never below 0). Also the seed's fallback schedule when applied to maxInput.
 */
export function clipOverflow(schedule: readonly number[], p: NormalizedParams): number[] {
  const clipped = schedule.slice();
  let soc = p.initialSoc;
  for (let h = 0; h < p.n; h++) {
    const headroom = p.maxStorage - soc + p.load[h];
    clipped[h] = Math.max(Math.min(clipped[h], headroom), 0.0);
    soc = soc + clipped[h] - p.load[h];
  }
  return clipped;
}

export type ViolationKind = 'minInput' | 'maxInput' | 'minStorage' | 'maxStorage' | 'finalSoc';

/** One broken limit: which, where, by how much. */
export interface Violation {
  kind: ViolationKind;
  /** Interval index (for storage limits: the tank level after this interval). */
  interval: number;
  value: number;
  limit: number;
  message: string;
}

/** Every limit the schedule breaks (beyond a tolerance of 1e-9 of the problem's scale). */
export function findViolations(control: readonly number[], p: NormalizedParams): Violation[] {
  const tol = energyTolerance(p);
  const soc = socTrace(control, p);
  const out: Violation[] = [];
  const add = (kind: ViolationKind, interval: number, value: number, limit: number, what: string) =>
    out.push({
      kind,
      interval,
      value,
      limit,
      message: `interval ${interval}: ${what} (${value} vs ${limit})`,
    });
  for (let h = 0; h < p.n; h++) {
    if (control[h] < p.minInput[h] - tol)
      add('minInput', h, control[h], p.minInput[h], 'output below minInput');
    if (control[h] > p.maxInput[h] + tol)
      add('maxInput', h, control[h], p.maxInput[h], 'output above maxInput');
    const level = soc[h + 1];
    if (level < p.minStorage - tol) add('minStorage', h, level, p.minStorage, 'tank below minStorage');
    if (level > p.maxStorage + tol) add('maxStorage', h, level, p.maxStorage, 'tank above maxStorage');
  }
  const last = p.n - 1;
  const required = requiredLevelAfter(p, last);
  if (p.finalSoc !== undefined && required > p.minStorage && soc[p.n] < required - tol) {
    add('finalSoc', last, soc[p.n], required, 'tank below finalSoc at the end');
  }
  return out;
}
