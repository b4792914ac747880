/**
 * What one VTN instance's change-event fan-out did: how many change events it heard (its own
 * commits, and on a shared PostgreSQL store other instances' through LISTEN/NOTIFY + change_log),
 * and how long after the commit it heard them. Cheap enough to leave on at hundreds of changes a
 * second: a counter and a 1 ms histogram bucket per event, nothing logged per event.
 *
 * The lag is measured from the object's modificationDateTime, stamped by the committing instance
 * just before its commit, to when this instance heard the change — so it includes the commit
 * itself and, for a remote change, the NOTIFY and the change_log read. Millisecond resolution (the
 * stamp's), and only meaningful where the instances' clocks agree (one host, or NTP). Deletes are
 * counted but not timed: a deleted object carries its last modification's time, not the delete's.
 */
import { instantOf } from '../../time/datetime';
import type { Change } from './service';

/** Lags from 0 to 59,999 ms in 1 ms buckets; longer ones share the last bucket (the max is exact). */
const BUCKETS = 60_000;

export interface ChangeStatsSnapshot {
  /** Length of the window (since start or the previous reset). */
  seconds: number;
  heard: number;
  local: number;
  remote: number;
  /** Changes with a lag (not deletes). */
  timed: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

export class ChangeStats {
  private counts = new Uint32Array(BUCKETS);
  private heard = 0;
  private remote = 0;
  private timed = 0;
  private max = 0;
  private since: number;

  constructor(private readonly now: () => number = Date.now) {
    this.since = now();
  }

  record(change: Change): void {
    this.heard++;
    if (change.remote) this.remote++;
    if (change.operation === 'DELETE') return;
    const at = instantOf(change.object.modificationDateTime ?? change.object.createdDateTime);
    if (!Number.isFinite(at)) return;
    // A clock behind the committer's would make it negative: count it as heard at once.
    const lag = Math.max(0, this.now() - at);
    this.timed++;
    if (lag > this.max) this.max = lag;
    this.counts[Math.min(BUCKETS - 1, Math.floor(lag))]++;
  }

  /** The window so far; `reset` starts a new one. */
  snapshot(reset = false): ChangeStatsSnapshot {
    const now = this.now();
    const s: ChangeStatsSnapshot = {
      seconds: (now - this.since) / 1000,
      heard: this.heard,
      local: this.heard - this.remote,
      remote: this.remote,
      timed: this.timed,
      lagP50Ms: this.quantile(0.5),
      lagP99Ms: this.quantile(0.99),
      lagMaxMs: this.max,
    };
    if (reset) {
      this.counts.fill(0);
      this.heard = this.remote = this.timed = this.max = 0;
      this.since = now;
    }
    return s;
  }

  /**
   * The bucket holding the q-th lag (nearest rank), capped by the exact max; in the overflow bucket
   * the max itself (an upper bound, never an understatement).
   */
  private quantile(q: number): number {
    if (this.timed === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.timed));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return i === BUCKETS - 1 ? this.max : Math.min(i, this.max);
    }
    return this.max;
  }
}

/** One line for a log: `change events in 10.0 s: heard 1700 (local 850, remote 850), lag p50 …`. */
export function formatChangeStats(s: ChangeStatsSnapshot): string {
  return (
    `change events in ${s.seconds.toFixed(1)} s: heard ${s.heard} (local ${s.local}, remote ${s.remote}), ` +
    `lag p50 ${s.lagP50Ms} ms, p99 ${s.lagP99Ms} ms, max ${s.lagMaxMs} ms (${s.timed} timed)`
  );
}

/** Reads a formatChangeStats line back (undefined when `line` is not one). */
export function parseChangeStats(line: string): ChangeStatsSnapshot | undefined {
  const m =
    /change events in ([\d.]+) s: heard (\d+) \(local (\d+), remote (\d+)\), lag p50 (\d+) ms, p99 (\d+) ms, max (\d+) ms \((\d+) timed\)/.exec(
      line,
    );
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  return {
    seconds: n[0],
    heard: n[1],
    local: n[2],
    remote: n[3],
    lagP50Ms: n[4],
    lagP99Ms: n[5],
    lagMaxMs: n[6],
    timed: n[7],
  };
}
