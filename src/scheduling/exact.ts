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

/**
 * The tree: node i (1 = root, leaves at size + h) holds 8 numbers — four maps of (shift A, clamp C):
 * forward lower end x ↦ max(x + A, C), forward upper end x ↦ min(x + A, C), and the same two for
 * the backward recursion. Padding leaves are identity maps. Flat typed array, no allocation in the
 * loop: this is the fleet-scale hot path.
 */
const FLO_A = 0;
const FLO_C = 1;
const FHI_A = 2;
const FHI_C = 3;
const BLO_A = 4;
const BLO_C = 5;
const BHI_A = 6;
const BHI_C = 7;
const W = 8;

/**
 * Scratch buffers reused across calls: allocating typed arrays costs microseconds each, more than
 * solving a 96-interval day. JavaScript runs this synchronously, so one shared workspace is safe.
 */
const work = {
  capacity: 0,
  tree: new Float64Array(0),
  group: new Uint8Array(0),
  key: new Float64Array(0),
  a: new Int32Array(0),
  b: new Int32Array(0),
  stack: new Int32Array(64),
};

function ensureWorkspace(size: number): void {
  if (work.capacity >= size) return;
  let capacity = Math.max(64, work.capacity);
  while (capacity < size) capacity *= 2;
  work.capacity = capacity;
  work.tree = new Float64Array(2 * capacity * W);
  work.group = new Uint8Array(capacity);
  work.key = new Float64Array(capacity);
  work.a = new Int32Array(capacity);
  work.b = new Int32Array(capacity);
}

function setLeaf(
  t: Float64Array,
  o: number,
  lo: number,
  hi: number,
  load: number,
  minS: number,
  maxS: number,
): void {
  t[o + FLO_A] = lo - load;
  t[o + FLO_C] = minS;
  t[o + FHI_A] = hi - load;
  t[o + FHI_C] = maxS;
  t[o + BLO_A] = load - hi;
  t[o + BLO_C] = minS;
  t[o + BHI_A] = load - lo;
  t[o + BHI_C] = maxS;
}

function setIdentity(t: Float64Array, o: number): void {
  t[o + FLO_A] = 0;
  t[o + FLO_C] = -Infinity;
  t[o + FHI_A] = 0;
  t[o + FHI_C] = Infinity;
  t[o + BLO_A] = 0;
  t[o + BLO_C] = -Infinity;
  t[o + BHI_A] = 0;
  t[o + BHI_C] = Infinity;
}

/** Node i from its children: forward maps compose left then right, backward maps right then left. */
function pull(t: Float64Array, i: number): void {
  const o = i * W;
  const l = 2 * o;
  const r = l + W;
  const flA = t[l + FLO_A];
  const frA = t[r + FLO_A];
  t[o + FLO_A] = flA + frA;
  t[o + FLO_C] = Math.max(t[l + FLO_C] + frA, t[r + FLO_C]);
  const hlA = t[l + FHI_A];
  const hrA = t[r + FHI_A];
  t[o + FHI_A] = hlA + hrA;
  t[o + FHI_C] = Math.min(t[l + FHI_C] + hrA, t[r + FHI_C]);
  const blA = t[l + BLO_A];
  t[o + BLO_A] = t[r + BLO_A] + blA;
  t[o + BLO_C] = Math.max(t[r + BLO_C] + blA, t[l + BLO_C]);
  const bhA = t[l + BHI_A];
  t[o + BHI_A] = t[r + BHI_A] + bhA;
  t[o + BHI_C] = Math.min(t[r + BHI_C] + bhA, t[l + BHI_C]);
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
 * The greedy's processing order: negative costs most negative first, then the rest most expensive
 * first, ties by index. A bottom-up merge sort on an index array with one numeric key per interval
 * (stable, so equal keys keep index order) — several times faster than Array.prototype.sort with a
 * comparator at these sizes, which matters at fleet scale.
 */
export function greedyOrder(cost: readonly number[]): number[] {
  let size = 1;
  while (size < cost.length) size <<= 1;
  ensureWorkspace(size);
  return Array.from(orderInto(cost).subarray(0, cost.length));
}

/** greedyOrder into the workspace (valid until the next call). */
function orderInto(cost: readonly number[]): Int32Array {
  const n = cost.length;
  // Rank key: negatives (group 0) ascending by cost, others (group 1) ascending by −cost.
  const group = work.group;
  const key = work.key;
  for (let h = 0; h < n; h++) {
    const c = cost[h];
    if (c < 0) {
      group[h] = 0;
      key[h] = c;
    } else {
      group[h] = 1;
      key[h] = -c;
    }
  }
  let src = work.a;
  let dst = work.b;
  for (let h = 0; h < n; h++) src[h] = h;
  for (let width = 1; width < n; width *= 2) {
    for (let left = 0; left < n; left += 2 * width) {
      const mid = Math.min(left + width, n);
      const right = Math.min(left + 2 * width, n);
      let i = left;
      let j = mid;
      let k = left;
      while (i < mid && j < right) {
        const a = src[i];
        const b = src[j];
        // Take from the right run only when strictly before: keeps the sort stable.
        if (group[b] < group[a] || (group[b] === group[a] && key[b] < key[a])) {
          dst[k++] = b;
          j++;
        } else {
          dst[k++] = a;
          i++;
        }
      }
      while (i < mid) dst[k++] = src[i++];
      while (j < right) dst[k++] = src[j++];
    }
    const swap = src;
    src = dst;
    dst = swap;
  }
  return src;
}

/**
 * The optimal schedule, or null when the problem is infeasible.
 * O(n log n); deterministic (ties by index).
 */
export function solveExact(p: NormalizedParams): number[] | null {
  if (!isFeasible(p)) return null;
  const n = p.n;
  const cost = unitCosts(p);
  let size = 1;
  while (size < n) size <<= 1;
  ensureWorkspace(size);
  const order = orderInto(cost);
  const t = work.tree;
  const { minStorage: minS, maxStorage: maxS, load, minInput, maxInput } = p;
  for (let h = 0; h < n; h++) setLeaf(t, (size + h) * W, minInput[h], maxInput[h], load[h], minS, maxS);
  for (let h = n; h < size; h++) setIdentity(t, (size + h) * W);
  for (let i = size - 1; i >= 1; i--) pull(t, i);

  const endLo = requiredLevelAfter(p, n - 1);
  const stack = work.stack;
  const control = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    const h = order[k];
    // F_h: forward maps of intervals 0..h−1 applied to the start level. A prefix is covered by
    // right-hand nodes met on the way up from leaf h, in decreasing position: apply them reversed.
    let top = 0;
    for (let r = size + h; r > 1; r >>= 1) if (r & 1) stack[top++] = r - 1;
    let fLo = p.initialSoc;
    let fHi = p.initialSoc;
    while (top > 0) {
      const o = stack[--top] * W;
      fLo = Math.max(fLo + t[o + FLO_A], t[o + FLO_C]);
      fHi = Math.min(fHi + t[o + FHI_A], t[o + FHI_C]);
    }
    // B_{h+1}: backward maps of intervals h+1..n−1 applied to the end range, last interval first.
    // A suffix is covered by left-hand nodes met on the way up from leaf h+1, in increasing
    // position: apply them reversed.
    top = 0;
    for (let l = size + h + 1, r = 2 * size; l < r; l >>= 1, r >>= 1) if (l & 1) stack[top++] = l++;
    let bLo = endLo;
    let bHi = maxS;
    while (top > 0) {
      const o = stack[--top] * W;
      bLo = Math.max(bLo + t[o + BLO_A], t[o + BLO_C]);
      bHi = Math.min(bHi + t[o + BHI_A], t[o + BHI_C]);
    }
    const lo = minInput[h];
    const hi = maxInput[h];
    let value = cost[h] < 0 ? Math.min(hi, bHi - fLo + load[h]) : Math.max(lo, bLo - fHi + load[h]);
    // Rounding can leave the range a hair inverted or outside the box: stay inside the box.
    value = Math.min(Math.max(value, lo), hi);
    control[h] = value;
    setLeaf(t, (size + h) * W, value, value, load[h], minS, maxS);
    for (let i = (size + h) >> 1; i >= 1; i >>= 1) pull(t, i);
  }
  return control;
}
