/**
 * scheduleHeuristic: the seed's bottom-up greedy, reproduced operation for operation so it returns
 * the same schedule and `converged` flag as the seed's Python on the same input:
 *   1. the initial tank alone satisfies every interval → zeros, converged;
 *   2. rank intervals by price, cheapest first (ties by index);
 *   3. up to 3n iterations: target = first unsatisfied interval (soc + schedule[h] ≥ load[h] +
 *      minStorage, soc advancing only through satisfied intervals);
 *      phase A raises every h ≤ target to minInput and clips overflow; phase B raises the cheapest
 *      eligible interval (≤ target, below maxInput) to maxInput, clips overflow, until all are
 *      satisfied or the target moves; nothing left to raise → the seed's fallback, not converged;
 *   4. iterations exhausted → the current schedule, not converged.
 * The seed can claim `converged` while its schedule breaks a limit; the result's `feasible` and
 * `violations` say whether it really holds. One extension: with finalSoc, the last interval must
 * leave at least finalSoc (without it the behaviour is exactly the seed's).
 */
import { normalizeParams, NormalizedParams, requiredLevelAfter, SchedulerParams, SeedParams } from './params';
import { buildResult, ScheduleResult } from './result';
import { clipOverflow } from './soc';
import { seedFallback } from './lp';

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

/** The seed's greedy: returns its schedule and converged flag, plus cost, tank, limit check, savings. */
export function scheduleHeuristic(params: SchedulerParams | SeedParams | NormalizedParams): ScheduleResult {
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
    if (!boosted) return done(seedFallback(p), false);
  }
  return done(schedule, false);
}
