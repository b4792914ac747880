/**
 * The one retry policy for HTTP in the pack: the price fetch, the VEN client and the VTN's
 * webhook delivery all ask it which failures are worth another try, how long to wait before it
 * (exponential backoff, optionally jittered, or the server's own Retry-After, capped), and run
 * each attempt under a deadline that an outside abort signal can cut short.
 */

export interface BackoffPolicy {
  /** The first wait, ms; it doubles with each further retry. */
  baseDelayMs: number;
  /** The longest wait, ms, however many retries came before. */
  maxDelayMs: number;
  /**
   * 'none': exactly the step; 'equal': at least half the step, the rest random (waits still
   * grow, but many clients spread out). Default 'none'.
   */
  jitter?: 'none' | 'equal';
  /** Test seam for the jitter (0 ≤ x < 1). Default Math.random. */
  random?: () => number;
}

export interface RetryPolicy extends BackoffPolicy {
  /** Further attempts after the first (0 = try once). */
  retries: number;
  /**
   * The longest wait a server's Retry-After may ask for, ms (default 60000). A longer one is
   * shortened to this, so a misconfigured server cannot park a client for hours.
   */
  maxRetryAfterMs?: number;
}

/** The wait before retry `retry` (0-based: 0 is the wait after the first failed attempt). */
export function backoffDelay(retry: number, policy: BackoffPolicy): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry));
  if (policy.jitter !== 'equal') return step;
  const random = policy.random ?? Math.random;
  return step / 2 + random() * (step / 2);
}

/**
 * HTTP statuses that say "try again later": 408 (request timeout), 429 (too many requests) and
 * every 5xx. Other answers (4xx) will be the same on the next try.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Statuses after which the server has certainly not acted on the request (it refused it before
 * doing anything), so even a non-idempotent request (a POST) may be sent again.
 */
export function isRefusedStatus(status: number): boolean {
  return status === 429;
}

/**
 * A Retry-After header as a wait in ms: delta-seconds ("120") or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP-dates always name the weekday and "GMT" (IMF-fixdate; the obsolete forms too).
  if (!/^[A-Za-z]{3,9},? .*GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** The wait before retry `retry`: the server's Retry-After (capped) when it gave one, else backoff. */
export function retryDelay(retry: number, policy: RetryPolicy, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0)
    return Math.min(retryAfterMs, policy.maxRetryAfterMs ?? 60_000);
  return backoffDelay(retry, policy);
}

/** Thrown by `sleep` and `withRetry` when the outside signal aborts. */
export class AbortedError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'AbortedError';
  }
}

/** Thrown by `withTimeout` when an attempt has no result within its deadline. */
export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/** Wait `ms`; rejects with AbortedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Run one attempt with a deadline. The attempt gets a signal that aborts at the deadline or when
 * `outer` aborts; it must stop its I/O on it. A deadline rejects with AttemptTimeoutError, an
 * outside abort with AbortedError (whatever the attempt itself threw on abort).
 */
export async function withTimeout<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<T> {
  if (outer?.aborted) throw new AbortedError();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const cancel = (): void => controller.abort();
  outer?.addEventListener('abort', cancel, { once: true });
  try {
    return await attempt(controller.signal);
  } catch (err) {
    if (timedOut) throw new AttemptTimeoutError(timeoutMs);
    if (outer?.aborted) throw new AbortedError();
    throw err;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', cancel);
  }
}

/** What to do after a failed attempt. */
export interface RetryDecision {
  retry: boolean;
  /** The server's Retry-After, ms, when it sent one. */
  retryAfterMs?: number;
}

export interface RetryOptions<E> {
  policy: RetryPolicy;
  /** Whether this failure is worth another try (and the server's Retry-After, if any). */
  decide: (error: unknown, attempt: number) => RetryDecision;
  /** Cancels the wait between attempts (and is handed to each attempt). */
  signal?: AbortSignal;
  /** Told before each wait: retry n (1-based), the wait, the failure. */
  onRetry?: (retry: number, delayMs: number, error: E) => void;
  /** Test seam; default `sleep` above (aborted by `signal`). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Run `attempt` until it succeeds, `decide` says a failure is final, or the retries are spent.
 * The last failure is thrown as it was; `attempt` gets its 0-based number.
 */
export async function withRetry<T, E = unknown>(
  attempt: (n: number, signal?: AbortSignal) => Promise<T>,
  options: RetryOptions<E>,
): Promise<T> {
  const wait = options.sleep ?? sleep;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n, options.signal);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const decision = options.decide(err, n);
      if (!decision.retry || n >= options.policy.retries) throw err;
      const delay = retryDelay(n, options.policy, decision.retryAfterMs);
      options.onRetry?.(n + 1, delay, err as E);
      await wait(delay, options.signal);
    }
  }
}

/** Node's fetch failures that never reached a server answer (connection refused, reset, DNS). */
export function networkErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code;
}
