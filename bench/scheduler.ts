/**
 * npm run bench:scheduler — solve times of the schedulers by horizon, printed as ratios to the
 * exact fast path measured in the same run, plus a fleet (10,000 heaters × 96 intervals), the
 * public scheduleLp's cost over the bare solver kernel, and the reference implementation's own formulation in scipy's
 * HiGHS (when python3 with scipy is available).
 * Single-threaded; each figure is the median of repeated timed batches, in CPU time of this
 * process (user + system, process.cpuUsage) so other work on a shared machine inflates it less
 * than wall-clock time would; the Python side uses time.process_time for the same reason.
 */
import path from 'path';
import { spawnSync } from 'child_process';
import solver from 'javascript-lp-solver';
import type { Model } from 'javascript-lp-solver';
import {
  normalizeParams,
  NormalizedParams,
  SchedulerParams,
  scheduleHeuristic,
  scheduleLp,
  solveExact,
  solveWithLpSolver,
  LP_SOLVER_PRECISION,
} from '../src/scheduling';
import { findPython } from '../test/support/python';
import { prng } from '../test/unit/scheduling/instances';

const HORIZONS = [24, 96, 192, 672, 2880];

/** A day-shaped price curve with noise and a residential-like draw, hourly values repeated per interval. */
function instance(n: number, seed: number): NormalizedParams {
  return normalizeParams(rawInstance(n, seed));
}

/** The same instance as a user passes it to scheduleLp: scalars not yet broadcast. */
function rawInstance(n: number, seed: number): SchedulerParams {
  const rnd = prng(seed);
  const perDay = 96;
  const price = Array.from(
    { length: n },
    (_, h) => 0.12 + 0.05 * Math.sin((2 * Math.PI * h) / perDay) + 0.02 * rnd() - (rnd() < 0.03 ? 0.2 : 0),
  );
  const load = Array.from({ length: n }, () => (rnd() < 0.6 ? 0.05 : 0.4 * rnd()));
  return {
    price,
    load,
    cop: 3,
    initialSoc: 6,
    minStorage: 1,
    maxStorage: 12,
    minInput: 0,
    maxInput: 1.125,
    intervalHours: 0.25,
  };
}

/** CPU milliseconds used by this process so far. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Median CPU ms per call over batches lasting at least `minMs` in total. */
function time(fn: () => unknown, minMs = 300, maxCalls = 100000): number {
  // Warm-up: let the JIT optimise before measuring (at least 100 ms or 5 calls).
  for (let w0 = cpuMs(), calls = 0; calls < 5 || (cpuMs() - w0 < 100 && calls < maxCalls); calls++) fn();
  const samples: number[] = [];
  let spent = 0;
  let calls = 0;
  while ((spent < minMs || samples.length < 3) && calls < maxCalls) {
    let batch = 1;
    let t0 = cpuMs();
    fn();
    let dt = cpuMs() - t0;
    // Batch fast calls so the timer's resolution does not dominate.
    if (dt < 5) {
      batch = Math.max(1, Math.ceil(5 / Math.max(dt, 1e-3)));
      t0 = cpuMs();
      for (let i = 0; i < batch; i++) fn();
      dt = cpuMs() - t0;
    }
    samples.push(dt / batch);
    spent += dt;
    calls += batch;
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/**
 * The public scheduleLp (validation, solver, result with costs, tank trace, limit check and
 * baseline) against the solver kernel alone on the same 96 intervals. The two are timed in
 * alternating batches so load from other processes hits both alike; the figure is the median of
 * the per-round ratios.
 */
function publicOverhead(): { kernelMs: number; publicMs: number; ratio: number } {
  const raw = rawInstance(96, 96);
  const p = normalizeParams(raw);
  const batch = (fn: () => unknown, calls: number): number => {
    const t0 = cpuMs();
    for (let i = 0; i < calls; i++) fn();
    return (cpuMs() - t0) / calls;
  };
  const kernel = () => solveExact(p);
  const full = () => scheduleLp(raw);
  batch(kernel, 20000);
  batch(full, 20000);
  const kernels: number[] = [];
  const publics: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < 31; round++) {
    const k = batch(kernel, 2000);
    const f = batch(full, 2000);
    kernels.push(k);
    publics.push(f);
    ratios.push(f / k);
  }
  const median = (values: number[]) => values.slice().sort((a, b) => a - b)[values.length >> 1];
  return { kernelMs: median(kernels), publicMs: median(publics), ratio: median(ratios) };
}

/** The reference implementation's dense lower-triangular form in javascript-lp-solver (for comparison at small n). */
function denseModel(p: NormalizedParams): Model {
  const constraints: Record<string, { min?: number; max?: number }> = {};
  const variables: Record<string, Record<string, number>> = {};
  let cum = 0;
  for (let h = 0; h < p.n; h++) {
    cum += p.load[h];
    constraints[`c${h}`] = { min: p.minStorage - p.initialSoc + cum, max: p.maxStorage - p.initialSoc + cum };
    constraints[`b${h}`] = { max: p.maxInput[h] };
    const v: Record<string, number> = { cost: p.price[h] / p.cop[h], [`b${h}`]: 1 };
    for (let k = h; k < p.n; k++) v[`c${k}`] = 1;
    variables[`e${h}`] = v;
  }
  return { optimize: 'cost', opType: 'min', constraints, variables } as unknown as Model;
}

const fmt = (ms: number) =>
  ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : ms < 1000 ? `${ms.toFixed(2)} ms` : `${(ms / 1000).toFixed(2)} s`;
const ratio = (ms: number, base: number) => `${(ms / base).toFixed(ms / base < 10 ? 1 : 0)}×`;

function main(): void {
  console.log('scheduler benchmark (single-threaded; ratios are to the exact fast path in this run)\n');
  console.log(
    'intervals | fast path (exact) | heuristic          | javascript-lp-solver sparse | dense (jsLP)',
  );
  const fast: Record<number, number> = {};
  const sparse: Record<number, number> = {};
  for (const n of HORIZONS) {
    const p = instance(n, n);
    const exact = time(() => solveExact(p));
    fast[n] = exact;
    const heuristic = time(() => scheduleHeuristic(p), 300, n > 1000 ? 3 : 100000);
    const lp = time(() => solveWithLpSolver(p), n > 1000 ? 1 : 300, n > 1000 ? 1 : 100000);
    sparse[n] = lp;
    const dense = n <= 96 ? time(() => solver.Solve(denseModel(p), LP_SOLVER_PRECISION), 300) : NaN;
    console.log(
      `${String(n).padStart(9)} | ${fmt(exact).padEnd(17)} | ${`${fmt(heuristic)} (${ratio(heuristic, exact)})`.padEnd(18)} | ${`${fmt(lp)} (${ratio(lp, exact)})`.padEnd(27)} | ${Number.isNaN(dense) ? '—' : `${fmt(dense)} (${ratio(dense, exact)})`}`,
    );
  }

  const fleet = Array.from({ length: 10_000 }, (_, i) => instance(96, 1000 + i));
  const t0 = cpuMs();
  for (const p of fleet) solveExact(p);
  const fleetMs = cpuMs() - t0;
  console.log(
    `\nfleet: 10,000 heaters × 96 intervals, fast path: ${fmt(fleetMs)} (${fmt(fleetMs / 10_000)} per heater)`,
  );

  let scipyMs: number | undefined;
  const python = findPython(['numpy', 'scipy'], false);
  if (python) {
    const script = path.join(__dirname, '..', 'test', 'fixtures', 'scheduling', 'reference_runner.py');
    const r = spawnSync(python, [script, '--bench', '96', '50'], { encoding: 'utf8' });
    if (r.status === 0) scipyMs = (JSON.parse(r.stdout) as { median_ms: number }).median_ms;
    else console.log(`scipy benchmark failed: ${r.stderr.slice(-300)}`);
  }
  const fast96 = time(() => solveExact(instance(96, 96)));
  if (scipyMs !== undefined) {
    console.log(
      `the reference implementation's LP (dense, scipy HiGHS) at 96 intervals: ${fmt(scipyMs)} — fast path is ${ratio(scipyMs, fast96)} faster`,
    );
  } else {
    console.log(
      "the reference implementation's LP (scipy HiGHS): skipped — no python3 with numpy and scipy (Debian: python3-numpy python3-scipy)",
    );
  }

  const overhead = publicOverhead();
  console.log(
    `\npublic scheduleLp at 96 intervals: ${fmt(overhead.publicMs)} vs the kernel (solveExact) ${fmt(overhead.kernelMs)}: ${overhead.ratio.toFixed(2)}× (validation and result building included)`,
  );

  const targets: Array<[string, boolean]> = [
    [`fast path ≤ 0.05 ms at 96 (${fmt(fast[96])})`, fast[96] <= 0.05],
    [`fast path ≤ 0.5 ms at 672 (${fmt(fast[672])})`, fast[672] <= 0.5],
    [`fast path ≤ 3 ms at 2,880 (${fmt(fast[2880])})`, fast[2880] <= 3],
    [`fleet 10,000 × 96 ≤ 0.5 s (${fmt(fleetMs)})`, fleetMs <= 500],
    [`sparse LP < 10 ms at 96 (${fmt(sparse[96])})`, sparse[96] < 10],
    [`sparse LP < 1 s at 672 (${fmt(sparse[672])})`, sparse[672] < 1000],
    [`public scheduleLp ≤ 1.2× the kernel at 96 (${overhead.ratio.toFixed(2)}×)`, overhead.ratio <= 1.2],
  ];
  if (scipyMs !== undefined)
    targets.push([`≥ 50× faster than scipy HiGHS at 96 (${ratio(scipyMs, fast96)})`, scipyMs / fast96 >= 50]);
  console.log('\ntargets:');
  for (const [what, met] of targets) console.log(`  ${met ? 'met ' : 'MISS'}  ${what}`);
}

main();
