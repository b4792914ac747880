/** Water-heater scheduling: model, exact LP, javascript-lp-solver LP, the reference implementation's heuristic, CTA-2045 mapping. */
export * from './params';
export { simulateSoc, clipOverflow, findViolations } from './soc';
export type { Violation, ViolationKind } from './soc';
export { solveExact, isFeasible, unitCosts, greedyOrder } from './exact';
export { solveWithLpSolver, buildSparseModel, LP_SOLVER_PRECISION } from './lp-solver';
export { scheduleLp, referenceFallback } from './lp';
export type { LpOptions } from './lp';
export { scheduleHeuristic } from './heuristic';
export { baselineCost, baselineControl, buildResult, intervalCosts } from './result';
export type { Algorithm, LpEngine, ScheduleResult } from './result';
export * from './cta2045';
export * from './timeline';
export * from './profile';
export * from './plan';
export * from './tank-energy';
