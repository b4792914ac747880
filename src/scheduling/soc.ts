/**
 * The tank model shared by every scheduler: soc[0] = initialSoc, soc[h+1] = soc[h] + control[h] −
 * load[h], no losses. The arithmetic is written in the reference implementation's order so results match it bit for bit.
 */
import {
  energyTolerance,
  normalizeParams,
  NormalizedParams,
  requiredLevelAfter,
  SchedulerParams,
  ReferenceParams,
} from './params';

/** Tank energy at every interval boundary: n + 1 values, soc[0] = initialSoc. */
export function simulateSoc(
  control: readonly number[],
  params: SchedulerParams | ReferenceParams | NormalizedParams,
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
 * The reference implementation's overflow clip: walk forward and cut any interval that would push the tank above
 * maxStorage (never below 0). Also the reference implementation's fallback schedule when applied to maxInput.
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

function violation(
  kind: ViolationKind,
  interval: number,
  value: number,
  limit: number,
  what: string,
): Violation {
  return { kind, interval, value, limit, message: `interval ${interval}: ${what} (${value} vs ${limit})` };
}

/** Every limit the schedule breaks (beyond a tolerance of 1e-9 of the problem's scale). */
export function findViolations(
  control: readonly number[],
  p: NormalizedParams,
  soc: readonly number[] = socTrace(control, p),
): Violation[] {
  const tol = energyTolerance(p);
  const out: Violation[] = [];
  const { minInput, maxInput, minStorage, maxStorage } = p;
  for (let h = 0; h < p.n; h++) {
    const e = control[h];
    const level = soc[h + 1];
    // One comparison per limit for the usual schedule that keeps them all.
    if (
      e >= minInput[h] - tol &&
      e <= maxInput[h] + tol &&
      level >= minStorage - tol &&
      level <= maxStorage + tol
    )
      continue;
    if (e < minInput[h] - tol) out.push(violation('minInput', h, e, minInput[h], 'output below minInput'));
    if (e > maxInput[h] + tol) out.push(violation('maxInput', h, e, maxInput[h], 'output above maxInput'));
    if (level < minStorage - tol)
      out.push(violation('minStorage', h, level, minStorage, 'tank below minStorage'));
    if (level > maxStorage + tol)
      out.push(violation('maxStorage', h, level, maxStorage, 'tank above maxStorage'));
  }
  const last = p.n - 1;
  const required = requiredLevelAfter(p, last);
  if (p.finalSoc !== undefined && required > p.minStorage && soc[p.n] < required - tol) {
    out.push(violation('finalSoc', last, soc[p.n], required, 'tank below finalSoc at the end'));
  }
  return out;
}
