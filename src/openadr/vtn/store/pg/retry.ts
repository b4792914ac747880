/**
 * Retrying what is safe to retry while the database is away, and knowing that it is away: the
 * store's health (reported to listeners on each transition) is simply the outcome of the last
 * attempt.
 */
import { type StoreHealth, StoreUnavailable } from '../store';
import { isRolledBack, isTransientPgError } from './errors';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class PgRetry {
  private healthState: StoreHealth = { available: true, since: Date.now() };
  private readonly listeners = new Set<(health: StoreHealth) => void>();

  constructor(
    /** How long one operation keeps retrying transient failures (ms). */
    private readonly budgetMs: number,
    /** A closed store stops retrying at once. */
    private readonly isClosed: () => boolean,
  ) {}

  /** Whether the database was reachable at the last attempt. */
  get health(): StoreHealth {
    return this.healthState;
  }

  onHealth(listener: (health: StoreHealth) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setHealth(available: boolean, err?: unknown): void {
    if (available === this.healthState.available) return;
    this.healthState = available
      ? { available, since: Date.now() }
      : { available, since: Date.now(), error: (err as Error)?.message ?? String(err) };
    for (const l of this.listeners) l(this.healthState);
  }

  /**
   * Run `attempt` until it succeeds, fails for a reason a retry cannot fix (rethrown), or the
   * retry budget is spent on transient failures (StoreUnavailable). `attempt` must be safe to
   * repeat: a read, or a write that reports whether its COMMIT was sent (see the store's apply).
   */
  async run<T>(what: string, attempt: () => Promise<T>, budgetMs = this.budgetMs): Promise<T> {
    // While the database is known to be down every request would wait the whole budget; one try
    // answers at once, and the first one that succeeds marks the database up again.
    const deadline = Date.now() + (this.healthState.available ? budgetMs : 0);
    for (let n = 0; ; n++) {
      try {
        const result = await attempt();
        this.setHealth(true);
        return result;
      } catch (err) {
        if (err instanceof StoreUnavailable) {
          this.setHealth(false, err);
          throw err;
        }
        // A deadlock (a write against a cascade delete, say) was rolled back: run it again.
        const transient = isTransientPgError(err);
        if (!transient && !isRolledBack(err)) throw err;
        // Equal jitter, so requests that failed together do not come back together.
        const base = Math.min(1000, 50 * 2 ** n);
        const wait = base / 2 + Math.random() * (base / 2);
        if (this.isClosed() || Date.now() + wait > deadline) {
          if (!transient) throw err;
          this.setHealth(false, err);
          throw new StoreUnavailable(`database unavailable (${what}): ${(err as Error).message}`);
        }
        await sleep(wait);
      }
    }
  }
}
