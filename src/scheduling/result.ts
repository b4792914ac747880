/**
 * What every scheduler returns: the schedule, its cost and tank trace, whether it actually keeps
 * every limit (checked, never assumed), and what it saves against the just-in-time baseline.
 */
import {
  normalizeParams,
  NormalizedParams,
  requiredLevelAfter,
  SchedulerParams,
  ReferenceParams,
} from './params';
import { findViolations, Violation } from './soc';

export type Algorithm = 'lp' | 'heuristic';
export type LpEngine = 'exact' | 'javascript-lp-solver';

export interface ScheduleResult {
  /** Heat-pump thermal output per interval (kWh). */
  control: number[];
  /** Electricity cost per interval ($): control · price / cop. */
  cost: number[];
  /** Tank energy at every boundary: n + 1 values (kWh). */
  soc: number[];
  totalCost: number;
  /** The scheduler's own claim: it solved the problem (false → the reference implementation's fallback schedule). */
  converged: boolean;
  /** Every limit holds (checked by simulating the tank). */
  feasible: boolean;
  violations: Violation[];
  /** What the heater would pay heating just in time to keep its reserve. */
  baselineCost: number;
  /** baselineCost − totalCost ($). */
  savings: number;
  /** savings as a percentage of baselineCost; null when the baseline costs nothing or less. */
  savingsPercent: number | null;
  algorithm: Algorithm;
  /** For algorithm 'lp': which engine solved it. */
  engine?: LpEngine;
}

/** Cost per interval in the reference implementation's arithmetic order: control · price / cop. */
export function intervalCosts(control: readonly number[], p: NormalizedParams): number[] {
  const cost = new Array<number>(p.n);
  for (let h = 0; h < p.n; h++) cost[h] = (control[h] * p.price[h]) / p.cop[h];
  return cost;
}

/**
 * The baseline schedule: no shifting, the heat pump runs just enough (within its limits) to keep
 * the tank at its reserve after every interval — and at finalSoc after the last one, so a plan
 * with a terminal level is compared with a baseline that leaves the same.
 */
export function baselineControl(p: NormalizedParams): number[] {
  const control = new Array<number>(p.n);
  let soc = p.initialSoc;
  for (let h = 0; h < p.n; h++) {
    const needed = requiredLevelAfter(p, h) + p.load[h] - soc;
    control[h] = Math.min(p.maxInput[h], Math.max(p.minInput[h], needed));
    soc = soc + control[h] - p.load[h];
  }
  return control;
}

/** What the heater would pay without shifting ($), see baselineControl. */
export function baselineCost(params: SchedulerParams | ReferenceParams | NormalizedParams): number {
  return baselineCostOf(normalizeParams(params));
}

/**
 * baselineCost of checked parameters, in one pass: the same arithmetic in the same order as
 * summing intervalCosts(baselineControl(p)), without the two arrays (this runs on every plan).
 */
function baselineCostOf(p: NormalizedParams): number {
  const { n, load, minInput, maxInput, price, cop } = p;
  const last = n - 1;
  let total = 0;
  let soc = p.initialSoc;
  for (let h = 0; h < n; h++) {
    const required = h === last ? requiredLevelAfter(p, h) : p.minStorage;
    const needed = required + load[h] - soc;
    const control = Math.min(maxInput[h], Math.max(minInput[h], needed));
    soc = soc + control - load[h];
    total += (control * price[h]) / cop[h];
  }
  return total;
}

/** Assemble a result from a schedule (costs, tank trace, limit check, savings). */
export function buildResult(
  control: number[],
  p: NormalizedParams,
  converged: boolean,
  algorithm: Algorithm,
  engine?: LpEngine,
): ScheduleResult {
  // Costs, their total and the tank trace in one pass (the arithmetic of intervalCosts, sum and
  // socTrace, in their order): building the result must stay cheap next to the solver.
  const n = p.n;
  const cost = new Array<number>(n);
  const soc = new Array<number>(n + 1);
  soc[0] = p.initialSoc;
  let totalCost = 0;
  for (let h = 0; h < n; h++) {
    cost[h] = (control[h] * p.price[h]) / p.cop[h];
    totalCost += cost[h];
    soc[h + 1] = soc[h] + control[h] - p.load[h];
  }
  const baseline = baselineCostOf(p);
  const violations = findViolations(control, p, soc);
  const savings = baseline - totalCost;
  const result: ScheduleResult = {
    control,
    cost,
    soc,
    totalCost,
    converged,
    feasible: violations.length === 0,
    violations,
    baselineCost: baseline,
    savings,
    savingsPercent: baseline > 0 ? (100 * savings) / baseline : null,
    algorithm,
  };
  if (engine) result.engine = engine;
  return result;
}
