/**
 * The exact optimum of the scheduling LP without an LP library.
 *
 * The feasible set — a box per interval plus lower and upper bounds on every prefix sum (the tank
 * level after each interval) — is a generalized polymatroid, so a greedy is optimal:
 *   1. intervals with negative cost (price/COP < 0), most negative first: the largest output that
 *      still leaves a feasible completion;
 *   2. all others, most expensive first: the smallest output that still leaves a feasible
 *      completion. Ties by index, so the answer is deterministic.
 * The feasible range of interval h follows from two tank-level intervals: F_h, the levels reachable
 * at h from the start, and B_{h+1}, the levels at h+1 from which the rest can still be completed:
 *   e_h ∈ [max(lo_h, B.lo − F.hi + load_h), min(hi_h, B.hi − F.lo + load_h)].
 * Both recursions are compositions of maps x ↦ max(x + a, c) (lower ends) and x ↦ min(x + a, c)
 * (upper ends), which compose into maps of the same form; a segment tree over the intervals keeps
 * the compositions, so fixing one interval and querying F and B cost O(log n): O(n log n) overall.
 */
import { energyTolerance, NormalizedParams, requiredLevelAfter } from './params';

/** Per tree node: 4 maps of 2 numbers (shift A, clamp C). */
const FLO_A = 0; // forward lower end:  x ↦ max(x + A, C)
const FLO_C = 1;
const FHI_A = 2; // forward upper end:  x ↦ min(x + A, C)
const FHI_C = 3;
const BLO_A = 4; // backward lower end: x ↦ max(x + A, C)
const BLO_C = 5;
const BHI_A = 6; // backward upper end: x ↦ min(x + A, C)
const BHI_C = 7;
const W = 8;

class LevelTree {
  readonly size: number;
  readonly t: Float64Array;
  private readonly left = new Int32Array(64);
  private readonly right = new Int32Array(64);

  constructor(n: number) {
    let size = 1;
    while (size < n) size <<= 1;
    this.size = size;
    this.t = new Float64Array(2 * size * W);
    // Identity maps everywhere (padding leaves stay identity).
    for (let i = 0; i < 2 * size; i++) this.setIdentity(i);
  }

  private setIdentity(i: number): void {
    const o = i * W;
    const t = this.t;
    t[o + FLO_A] = 0;
    t[o + FLO_C] = -Infinity;
    t[o + FHI_A] = 0;
    t[o + FHI_C] = Infinity;
    t[o + BLO_A] = 0;
    t[o + BLO_C] = -Infinity;
    t[o + BHI_A] = 0;
    t[o + BHI_C] = Infinity;
  }

  /** Set interval h's maps from its output range [lo, hi] and draw. */
  setLeaf(h: number, lo: number, hi: number, load: number, minS: number, maxS: number): void {
    const o = (this.size + h) * W;
    const t = this.t;
    t[o + FLO_A] = lo - load;
    t[o + FLO_C] = minS;
    t[o + FHI_A] = hi - load;
    t[o + FHI_C] = maxS;
    t[o + BLO_A] = load - hi;
    t[o + BLO_C] = minS;
    t[o + BHI_A] = load - lo;
    t[o + BHI_C] = maxS;
  }

  /** Recompute node i from its children: forward = left then right; backward = right then left. */
  pull(i: number): void {
    const t = this.t;
    const o = i * W;
    const l = 2 * i * W;
    const r = l + W;
    t[o + FLO_A] = t[l + FLO_A] + t[r + FLO_A];
    t[o + FLO_C] = Math.max(t[l + FLO_C] + t[r + FLO_A], t[r + FLO_C]);
    t[o + FHI_A] = t[l + FHI_A] + t[r + FHI_A];
    t[o + FHI_C] = Math.min(t[l + FHI_C] + t[r + FHI_A], t[r + FHI_C]);
    t[o + BLO_A] = t[r + BLO_A] + t[l + BLO_A];
    t[o + BLO_C] = Math.max(t[r + BLO_C] + t[l + BLO_A], t[l + BLO_C]);
    t[o + BHI_A] = t[r + BHI_A] + t[l + BHI_A];
    t[o + BHI_C] = Math.min(t[r + BHI_C] + t[l + BHI_A], t[l + BHI_C]);
  }

  build(): void {
    for (let i = this.size - 1; i >= 1; i--) this.pull(i);
  }

  update(h: number): void {
    for (let i = (this.size + h) >> 1; i >= 1; i >>= 1) this.pull(i);
  }

  /**
   * Collect the tree nodes covering leaves [from, to): `left` in increasing position, then
   * `right` in decreasing position (the standard bottom-up walk). Returns [leftCount, rightCount].
   */
  private cover(from: number, to: number): [number, number] {
    let nl = 0;
    let nr = 0;
    const left = this.left;
    const right = this.right;
    for (let l = this.size + from, r = this.size + to; l < r; l >>= 1, r >>= 1) {
      if (l & 1) left[nl++] = l++;
      if (r & 1) right[nr++] = --r;
    }
    return [nl, nr];
  }

  /** Apply the forward maps of intervals 0..h−1, in order, to [x, x]: levels reachable at boundary h. */
  forward(h: number, x: number, out: Float64Array): void {
    const [nl, nr] = this.cover(0, h);
    const t = this.t;
    let lo = x;
    let hi = x;
    const step = (node: number) => {
      const o = node * W;
      lo = Math.max(lo + t[o + FLO_A], t[o + FLO_C]);
      hi = Math.min(hi + t[o + FHI_A], t[o + FHI_C]);
    };
    for (let i = 0; i < nl; i++) step(this.left[i]);
    for (let i = nr - 1; i >= 0; i--) step(this.right[i]);
    out[0] = lo;
    out[1] = hi;
  }

  /**
   * Apply the backward maps of intervals h..size−1, last interval first, to [lo, hi]: the levels
   * at boundary h from which the rest of the horizon can still be completed.
   */
  backward(h: number, lo: number, hi: number, out: Float64Array): void {
    const [nl, nr] = this.cover(h, this.size);
    const t = this.t;
    const step = (node: number) => {
      const o = node * W;
      lo = Math.max(lo + t[o + BLO_A], t[o + BLO_C]);
      hi = Math.min(hi + t[o + BHI_A], t[o + BHI_C]);
    };
    for (let i = 0; i < nr; i++) step(this.right[i]);
    for (let i = nl - 1; i >= 0; i--) step(this.left[i]);
    out[0] = lo;
    out[1] = hi;
  }
}

/** Cost per unit of output in interval h (what the objective multiplies control[h] by). */
export function unitCosts(p: NormalizedParams): number[] {
  const c = new Array<number>(p.n);
  for (let h = 0; h < p.n; h++) c[h] = p.price[h] / p.cop[h];
  return c;
}

/**
 * True when some schedule meets every limit (within the problem's tolerance): the forward
 * recursion of reachable tank levels never becomes empty and reaches the terminal level.
 */
export function isFeasible(p: NormalizedParams): boolean {
  const tol = energyTolerance(p);
  let lo = p.initialSoc;
  let hi = p.initialSoc;
  for (let h = 0; h < p.n; h++) {
    lo = Math.max(lo + p.minInput[h] - p.load[h], p.minStorage);
    hi = Math.min(hi + p.maxInput[h] - p.load[h], p.maxStorage);
    if (lo > hi + tol) return false;
  }
  return hi >= requiredLevelAfter(p, p.n - 1) - tol;
}

/**
 * The optimal schedule, or null when the problem is infeasible.
 * O(n log n); deterministic (ties by index).
 */
export function solveExact(p: NormalizedParams): number[] | null {
  if (!isFeasible(p)) return null;
  const n = p.n;
  const cost = unitCosts(p);
  const order = new Array<number>(n);
  for (let h = 0; h < n; h++) order[h] = h;
  // Negative costs first (most negative first), then the rest most expensive first; ties by index.
  order.sort((a, b) => {
    const ca = cost[a];
    const cb = cost[b];
    const na = ca < 0;
    const nb = cb < 0;
    if (na !== nb) return na ? -1 : 1;
    if (ca !== cb) return na ? ca - cb : cb - ca;
    return a - b;
  });

  const tree = new LevelTree(n);
  for (let h = 0; h < n; h++)
    tree.setLeaf(h, p.minInput[h], p.maxInput[h], p.load[h], p.minStorage, p.maxStorage);
  tree.build();

  const endLo = requiredLevelAfter(p, n - 1);
  const endHi = p.maxStorage;
  const f = new Float64Array(2);
  const b = new Float64Array(2);
  const control = new Array<number>(n);
  for (const h of order) {
    tree.forward(h, p.initialSoc, f);
    tree.backward(h + 1, endLo, endHi, b);
    const lo = p.minInput[h];
    const hi = p.maxInput[h];
    const rangeLo = Math.max(lo, b[0] - f[1] + p.load[h]);
    const rangeHi = Math.min(hi, b[1] - f[0] + p.load[h]);
    let value = cost[h] < 0 ? rangeHi : rangeLo;
    // Rounding can leave the range a hair inverted or outside the box: stay inside the box.
    value = Math.min(Math.max(value, lo), hi);
    control[h] = value;
    tree.setLeaf(h, value, value, p.load[h], p.minStorage, p.maxStorage);
    tree.update(h);
  }
  return control;
}
