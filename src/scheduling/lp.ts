/**
 * scheduleLp: the exact optimum of the reference implementation's LP — minimise Σ control·price/cop subject to the
 * output bounds and the tank staying within [minStorage, maxStorage] after every interval (and at
 * least finalSoc at the end, when given). Two engines that must agree on cost: the specialised
 * exact greedy (default, O(n log n)) and javascript-lp-solver on the sparse formulation.
 * Infeasible → converged: false and the reference implementation's fallback (maxInput clipped so the tank never
 * overflows).
 */
import { solveExact } from './exact';
import { solveWithLpSolver } from './lp-solver';
import { normalizeParams, NormalizedParams, SchedulerParams, ReferenceParams } from './params';
import { buildResult, LpEngine, ScheduleResult } from './result';
import { clipOverflow } from './soc';

export interface LpOptions {
  /** 'exact' (default): the specialised algorithm; 'javascript-lp-solver': the general LP engine. */
  engine?: LpEngine;
}

export function scheduleLp(
  params: SchedulerParams | ReferenceParams | NormalizedParams,
  options: LpOptions = {},
): ScheduleResult {
  const p = normalizeParams(params);
  const engine = options.engine ?? 'exact';
  if (engine !== 'exact' && engine !== 'javascript-lp-solver') {
    throw new Error(`scheduleLp: unknown engine "${String(engine)}" (use "exact" or "javascript-lp-solver")`);
  }
  const control = engine === 'exact' ? solveExact(p) : solveWithLpSolver(p);
  if (control) return buildResult(control, p, true, 'lp', engine);
  return buildResult(referenceFallback(p), p, false, 'lp', engine);
}

/** The reference implementation's schedule when the problem cannot be solved: maxInput, clipped against overflow. */
export function referenceFallback(p: NormalizedParams): number[] {
  return clipOverflow(p.maxInput, p);
}
