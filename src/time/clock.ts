/**
 * Time as an injected dependency. The link layer's protocol waits (40 ms, 200 ms, 3 s) run on
 * one clock, the schedule and the simulated tank on another, so a test can run a day's schedule
 * in seconds while the bytes on the wire still keep real protocol timing.
 */
export type TimerHandle = { readonly id: unknown };

export interface Clock {
  /** Milliseconds since the Unix epoch, on this clock. */
  now(): number;
  /** Run `fn` after `ms` milliseconds of this clock's time. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
}

/**
 * Node fires a timer after 1 ms when asked for more than 2^31 - 1 ms (about 24.8 days): longer
 * waits are cut into pieces of at most that, or a far-away boundary would fire at once, in a loop.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    if (!(ms > MAX_TIMER_MS)) return { id: setTimeout(fn, Math.max(0, ms || 0)) };
    const due = Date.now() + ms;
    const handle: { id: unknown } = { id: null };
    const arm = (): void => {
      const left = due - Date.now();
      handle.id = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
    };
    arm();
    return handle;
  },
  clearTimeout: (h) => {
    if (h) clearTimeout(h.id as NodeJS.Timeout);
  },
};

/**
 * A clock running `factor` times faster than real time, starting at `startAt` (simulated epoch
 * ms). factor 3600 turns an hour into a second.
 */
export function scaledClock(
  factor: number,
  startAt: number = Date.now(),
  /** Real time at which the clock reads `startAt` (to share one timeline between processes). */
  realStart: number = Date.now(),
): Clock & { factor: number } {
  if (!(factor > 0)) throw new RangeError(`clock factor must be > 0, got ${factor}`);
  const now = (): number => startAt + (Date.now() - realStart) * factor;
  return {
    factor,
    now,
    setTimeout: (fn, ms) => {
      // Node rounds timer delays to whole real milliseconds, which is up to `factor` simulated
      // ms early: re-arm until the simulated deadline has really passed.
      const due = now() + ms;
      const handle: { id: unknown } = { id: null };
      const arm = (): void => {
        const left = due - now();
        if (left <= 0) fn();
        else handle.id = setTimeout(arm, Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(left / factor))));
      };
      handle.id = setTimeout(arm, Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(ms / factor))));
      return handle;
    },
    clearTimeout: (h) => {
      if (h) clearTimeout(h.id as NodeJS.Timeout);
    },
  };
}

/** Resolve after `ms` of `clock` time. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** Environment variable that speeds up every node's notion of time (tests and demos only). */
export const TIME_SCALE_ENV = 'OPENADR3_HPWH_TIME_SCALE';

let shared: (Clock & { factor: number }) | undefined;

/**
 * The wall clock every node of this pack reads "now" and its long cadences from (hourly price
 * fetch, schedule horizon, CTA-2045 schedule boundaries and re-asserts, event retention).
 * Real time, unless the environment variable OPENADR3_HPWH_TIME_SCALE is a number > 1 when the
 * process first asks: then one scaled clock, started at that moment, shared by all nodes so the
 * price source, the VEN, the scheduler and the heater agree on the time. Why a process-wide hook:
 * a soak test must run a simulated week through a real Node-RED in minutes, and the nodes' own
 * options (e.g. cta2045-port timeScale) only scale their own part. Protocol and network timing
 * (VEN polling, HTTP timeouts, CTA-2045 link waits, token lifetimes) stay real. Never set it on a
 * real installation: prices and commands would be for the wrong hour.
 */
export function processClock(env: NodeJS.ProcessEnv = process.env): Clock & { factor: number } {
  if (!shared) {
    const raw = env[TIME_SCALE_ENV];
    const factor = raw === undefined || raw === '' ? 1 : Number(raw);
    if (!Number.isFinite(factor) || factor <= 0)
      throw new RangeError(`${TIME_SCALE_ENV} must be a number > 0, got "${raw}"`);
    shared = factor === 1 ? { ...realClock, factor: 1 } : scaledClock(factor);
  }
  return shared;
}

/** Forget the shared clock (unit tests of processClock only). */
export function resetProcessClock(): void {
  shared = undefined;
}
