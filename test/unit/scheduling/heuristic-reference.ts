/**
 * The heuristic exactly as it was first ported (every pass over the whole horizon), kept as the
 * oracle for the incremental src/scheduling/heuristic.ts: same schedule, same costs, same
 * converged flag, bit for bit. Test code only; slow (about the cube of the interval count).
 */
import {
  normalizeParams,
  NormalizedParams,
  requiredLevelAfter,
  SchedulerParams,
  ReferenceParams,
} from '../../../src/scheduling/params';
import { buildResult, ScheduleResult } from '../../../src/scheduling/result';
import { clipOverflow } from '../../../src/scheduling/soc';
import { referenceFallback } from '../../../src/scheduling/lp';

/** The first interval whose draw (plus reserve) the tank cannot cover, or -1 when none. */
function firstUnsatisfied(schedule: readonly number[], p: NormalizedParams): number {
  let soc = p.initialSoc;
  for (let h = 0; h < p.n; h++) {
    const reserve = requiredLevelAfter(p, h);
    if (soc + schedule[h] >= p.load[h] + reserve) soc = soc + schedule[h] - p.load[h];
    else return h;
  }
  return -1;
}

function rankByPrice(price: readonly number[]): number[] {
  const order = price.map((_, h) => h);
  return order.sort((a, b) => (price[a] !== price[b] ? (price[a] < price[b] ? -1 : 1) : a - b));
}

/** The reference greedy: returns its schedule and converged flag, plus cost, tank, limit check, savings. */
export function referenceHeuristic(
  params: SchedulerParams | ReferenceParams | NormalizedParams,
): ScheduleResult {
  const p = normalizeParams(params);
  const { n, minInput, maxInput } = p;
  const done = (schedule: number[], converged: boolean) => buildResult(schedule, p, converged, 'heuristic');

  const zero = new Array<number>(n).fill(0);
  if (firstUnsatisfied(zero, p) < 0) return done(zero, true);

  const priceRank = rankByPrice(p.price);
  let schedule = new Array<number>(n).fill(0);
  const maxIterations = 3 * n;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const target = firstUnsatisfied(schedule, p);
    if (target < 0) return done(schedule, true);

    // Phase A: the minimum-input baseline up to and including the target.
    for (let h = 0; h <= target; h++) if (schedule[h] < minInput[h]) schedule[h] = minInput[h];
    schedule = clipOverflow(schedule, p);
    let next = firstUnsatisfied(schedule, p);
    if (next < 0) return done(schedule, true);
    if (next !== target) continue;

    // Phase B: raise the cheapest eligible intervals to maxInput.
    let boosted = false;
    for (const hour of priceRank) {
      if (hour > target) continue;
      if (schedule[hour] >= maxInput[hour]) continue;
      schedule[hour] = maxInput[hour];
      schedule = clipOverflow(schedule, p);
      boosted = true;
      next = firstUnsatisfied(schedule, p);
      if (next < 0) return done(schedule, true);
      if (next !== target) break;
    }
    if (!boosted) return done(referenceFallback(p), false);
  }
  return done(schedule, false);
}
