/**
 * scheduleHeuristic: the reference implementation's bottom-up greedy, reproduced operation for operation so it returns
 * the same schedule and `converged` flag as the reference implementation's Python on the same input:
 *   1. the initial tank alone satisfies every interval → zeros, converged;
 *   2. rank intervals by price, cheapest first (ties by index);
 *   3. up to 3n iterations: target = first unsatisfied interval (soc + schedule[h] ≥ load[h] +
 *      minStorage, soc advancing only through satisfied intervals);
 *      phase A raises every h ≤ target to minInput and clips overflow; phase B raises the cheapest
 *      eligible interval (≤ target, below maxInput) to maxInput, clips overflow, until all are
 *      satisfied or the target moves; nothing left to raise → the reference implementation's fallback, not converged;
 *   4. iterations exhausted → the current schedule, not converged.
 * The reference implementation can claim `converged` while its schedule breaks a limit; the result's `feasible` and
 * `violations` say whether it really holds. One extension: with finalSoc, the last interval must
 * leave at least finalSoc (without it the behaviour is exactly the reference implementation's).
 *
 * Done as the reference implementation writes it, every step passes over the whole horizon (clip, then look for the
 * first shortfall), and the work grows with about the cube of the interval count. This version
 * does the same arithmetic in the same order, but only where something changed (Tank below): a
 * change at interval k leaves everything before k as it was, and once the tank level after the
 * change equals, bit for bit, the level before it, everything after is as it was too. The
 * first-port version is kept as a test oracle (test/unit/scheduling/heuristic-reference.ts).
 */
import {
  normalizeParams,
  NormalizedParams,
  requiredLevelAfter,
  SchedulerParams,
  ReferenceParams,
} from './params';
import { buildResult, ScheduleResult } from './result';
import { referenceFallback } from './lp';

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

/**
 * The schedule, always clipped against overflow, with its tank trace (level at the start of each
 * interval, computed as soc.ts does: soc + control − load, left to right). Re-clipping an already
 * clipped interval at the same level changes nothing, bit for bit, so a change is clipped from the
 * first changed interval on, and only until the level matches the old trace again.
 */
class Tank {
  readonly schedule: number[];
  private readonly level: Float64Array;
  /** Every interval before this one has schedule ≥ minInput. */
  lowWater = 0;
  /** Intervals below maxInput, in price order (for phase B). */
  readonly eligible: EligibleByRank;

  constructor(
    private readonly p: NormalizedParams,
    rank: number[],
  ) {
    this.schedule = new Array<number>(p.n).fill(0);
    this.level = new Float64Array(p.n + 1);
    this.level[0] = p.initialSoc;
    for (let h = 0; h < p.n; h++) this.level[h + 1] = this.level[h] + this.schedule[h] - p.load[h];
    this.eligible = new EligibleByRank(rank, (h) => this.schedule[h] < p.maxInput[h]);
  }

  private satisfied(h: number): boolean {
    return this.level[h] + this.schedule[h] >= this.p.load[h] + requiredLevelAfter(this.p, h);
  }

  /** First unsatisfied interval at or after `from` (all before it are satisfied), or -1. */
  scanFrom(from: number): number {
    for (let h = from; h < this.p.n; h++) if (!this.satisfied(h)) return h;
    return -1;
  }

  /** Set interval h's output (no clip yet). */
  set(h: number, value: number): void {
    this.schedule[h] = value;
    this.eligible.update(h);
  }

  /**
   * Clip from `from` on (intervals `from`..`lastChanged` were changed; everything before `from`
   * is as it was) and return the first unsatisfied interval, knowing that `firstBefore` was the
   * first unsatisfied interval before the change.
   */
  reclip(from: number, lastChanged: number, firstBefore: number): number {
    const { p, schedule, level } = this;
    const { n, load, minInput, maxStorage, minStorage } = p;
    // requiredLevelAfter(p, h), read once: minStorage except for the last interval.
    const lastReserve = requiredLevelAfter(p, n - 1);
    let soc = level[from];
    let firstShort = -1;
    let lowWater = this.lowWater;
    let h = from;
    for (; h < n; h++) {
      if (h > lastChanged && Object.is(soc, level[h])) break;
      level[h] = soc;
      const l = load[h];
      const headroom = maxStorage - soc + l;
      const was = schedule[h];
      const clipped = Math.max(Math.min(was, headroom), 0.0);
      if (!Object.is(clipped, was)) {
        schedule[h] = clipped;
        this.eligible.update(h);
      }
      if (clipped < minInput[h] && h < lowWater) lowWater = h;
      if (firstShort < 0 && !(soc + clipped >= l + (h === n - 1 ? lastReserve : minStorage))) firstShort = h;
      soc = soc + clipped - l;
    }
    this.lowWater = lowWater;
    if (h === n) level[n] = soc;
    if (firstShort >= 0) return firstShort;
    // From `h` on nothing changed: the first shortfall there is the old one, if it was there.
    if (h >= n) return -1;
    return firstBefore >= h ? firstBefore : this.scanFrom(h);
  }
}

/**
 * Rank positions whose interval is below maxInput, for "the cheapest eligible interval at or
 * before the target": a min-tree over rank positions of the interval index (Infinity when not
 * eligible), so the next eligible position is found in O(log n) instead of a pass over all.
 */
class EligibleByRank {
  private readonly size: number;
  private readonly tree: Float64Array;
  private readonly positionOf: Int32Array;

  constructor(
    private readonly rank: number[],
    private readonly isEligible: (h: number) => boolean,
  ) {
    let size = 1;
    while (size < rank.length) size *= 2;
    this.size = size;
    this.tree = new Float64Array(2 * size).fill(Infinity);
    this.positionOf = new Int32Array(rank.length);
    rank.forEach((h, r) => {
      this.positionOf[h] = r;
      this.tree[size + r] = isEligible(h) ? h : Infinity;
    });
    for (let i = size - 1; i >= 1; i--) this.tree[i] = Math.min(this.tree[2 * i], this.tree[2 * i + 1]);
  }

  update(h: number): void {
    let i = this.size + this.positionOf[h];
    const key = this.isEligible(h) ? h : Infinity;
    if (this.tree[i] === key) return;
    this.tree[i] = key;
    for (i >>= 1; i >= 1; i >>= 1) this.tree[i] = Math.min(this.tree[2 * i], this.tree[2 * i + 1]);
  }

  /** The interval at the first rank position ≥ `from` that is eligible and ≤ `target`, or -1. */
  next(from: number, target: number): { position: number; hour: number } | undefined {
    const r = this.find(1, 0, this.size, from, target);
    return r < 0 ? undefined : { position: r, hour: this.rank[r] };
  }

  private find(node: number, lo: number, hi: number, from: number, target: number): number {
    if (hi <= from || this.tree[node] > target) return -1;
    if (hi - lo === 1) return lo;
    const mid = (lo + hi) >> 1;
    const left = this.find(2 * node, lo, mid, from, target);
    return left >= 0 ? left : this.find(2 * node + 1, mid, hi, from, target);
  }
}

/** The reference implementation's greedy: returns its schedule and converged flag, plus cost, tank, limit check, savings. */
export function scheduleHeuristic(
  params: SchedulerParams | ReferenceParams | NormalizedParams,
): ScheduleResult {
  const p = normalizeParams(params);
  const { n, minInput, maxInput } = p;
  const done = (schedule: number[], converged: boolean) => buildResult(schedule, p, converged, 'heuristic');

  const zero = new Array<number>(n).fill(0);
  if (firstUnsatisfied(zero, p) < 0) return done(zero, true);

  const tank = new Tank(p, rankByPrice(p.price));
  const schedule = tank.schedule;
  // The first unsatisfied interval of the schedule as it stands (the reference implementation recomputes it at the
  // top of every iteration; it only changes where the schedule does).
  let target = tank.scanFrom(0);
  const maxIterations = 3 * n;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    if (target < 0) return done(schedule, true);

    // Phase A: the minimum-input baseline up to and including the target.
    let first = -1;
    let last = -1;
    for (let h = tank.lowWater; h <= target; h++) {
      if (schedule[h] < minInput[h]) {
        tank.set(h, minInput[h]);
        if (first < 0) first = h;
        last = h;
      }
    }
    if (target + 1 > tank.lowWater) tank.lowWater = target + 1;
    let next = first < 0 ? target : tank.reclip(first, last, target);
    if (next < 0) return done(schedule, true);
    if (next !== target) {
      target = next;
      continue;
    }

    // Phase B: raise the cheapest eligible intervals to maxInput.
    let boosted = false;
    for (let at = tank.eligible.next(0, target); at; at = tank.eligible.next(at.position + 1, target)) {
      const hour = at.hour;
      tank.set(hour, maxInput[hour]);
      boosted = true;
      next = tank.reclip(hour, hour, target);
      if (next < 0) return done(schedule, true);
      if (next !== target) break;
    }
    if (!boosted) return done(referenceFallback(p), false);
    target = next;
  }
  return done(schedule, false);
}
