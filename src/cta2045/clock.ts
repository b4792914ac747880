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

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => ({ id: setTimeout(fn, Math.max(0, ms)) }),
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
        else handle.id = setTimeout(arm, Math.max(1, Math.ceil(left / factor)));
      };
      handle.id = setTimeout(arm, Math.max(0, Math.ceil(ms / factor)));
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
