/**
 * The scheduling LP solved by javascript-lp-solver on the sparse formulation: explicit tank-level
 * variables linked by one balance equation per interval (about 3 non-zeros per row), instead of
 * the reference implementation's dense lower-triangular cumulative sums (n²/2 non-zeros, far slower).
 *
 * javascript-lp-solver's variables are non-negative, so every variable is shifted to start at its
 * lower bound: control[h] = minInput[h] + x_h, x_h ∈ [0, maxInput[h] − minInput[h]], and
 * soc[h+1] = minStorage + y_h, y_h ∈ [0, maxStorage − minStorage]. Costs are scaled to order 1
 * (generic solvers use absolute tolerances). Results are read with precision 1e-12 (the default
 * rounds to 1e-9) and variables the solver leaves out of its result are 0.
 */
import solver from 'javascript-lp-solver';
import type { Model } from 'javascript-lp-solver';
import { NormalizedParams, requiredLevelAfter } from './params';
import { unitCosts } from './exact';

export const LP_SOLVER_PRECISION = 1e-12;

/** The javascript-lp-solver model for these parameters (exported for the benchmark and tests). */
export function buildSparseModel(p: NormalizedParams): Model {
  const n = p.n;
  const cost = unitCosts(p);
  const costScale = Math.max(...cost.map(Math.abs)) || 1;
  const constraints: Record<string, { min?: number; max?: number; equal?: number }> = {};
  const variables: Record<string, Record<string, number>> = {};
  const range = p.maxStorage - p.minStorage;
  for (let h = 0; h < n; h++) {
    // Balance after interval h: soc[h+1] = soc[h] + control[h] − load[h], in shifted variables:
    //   y_h − y_{h−1} − x_h = minInput[h] − load[h]                (h > 0)
    //   y_0 − x_0 = initialSoc + minInput[0] − load[0] − minStorage  (h = 0)
    const rhs = p.minInput[h] - p.load[h] + (h === 0 ? p.initialSoc - p.minStorage : 0);
    constraints[`bal${h}`] = { equal: rhs };
    constraints[`xmax${h}`] = { max: p.maxInput[h] - p.minInput[h] };
    const level: { min?: number; max: number } = { max: range };
    if (h === n - 1) {
      const required = requiredLevelAfter(p, h) - p.minStorage;
      if (required > 0) level.min = required;
    }
    constraints[`ymax${h}`] = level;
    variables[`x${h}`] = { cost: cost[h] / costScale, [`bal${h}`]: -1, [`xmax${h}`]: 1 };
    const y: Record<string, number> = { cost: 0, [`bal${h}`]: 1, [`ymax${h}`]: 1 };
    if (h + 1 < n) y[`bal${h + 1}`] = -1;
    variables[`y${h}`] = y;
  }
  return { optimize: 'cost', opType: 'min', constraints, variables } as unknown as Model;
}

/** Solve with javascript-lp-solver: the optimal schedule, or null when infeasible. */
export function solveWithLpSolver(p: NormalizedParams): number[] | null {
  const result = solver.Solve(buildSparseModel(p), LP_SOLVER_PRECISION) as unknown as Record<string, unknown>;
  if (!result.feasible) return null;
  const control = new Array<number>(p.n);
  for (let h = 0; h < p.n; h++) {
    const x = typeof result[`x${h}`] === 'number' ? (result[`x${h}`] as number) : 0;
    control[h] = Math.min(Math.max(p.minInput[h] + x, p.minInput[h]), p.maxInput[h]);
  }
  return control;
}
