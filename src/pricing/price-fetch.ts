/**
 * Fetching a price feed over HTTP: a timeout on every attempt (headers and body), retries with
 * exponential backoff for failures that may pass (network errors, timeouts, HTTP 5xx, 408, 429),
 * none for those that will not (other 4xx), and cancellation from outside (a node closing).
 */

export class PriceFetchError extends Error {
  constructor(
    message: string,
    /** Worth trying again: the failure may be temporary. */
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PriceFetchError';
  }
}

export interface FetchOptions {
  /** Per attempt, in milliseconds. */
  timeoutMs: number;
  /** Further attempts after the first (0 = try once). */
  retries: number;
  /** Wait before retry n (1-based) is backoffMs × 2^(n-1). */
  backoffMs: number;
  /** Cancels the current attempt and any wait. */
  signal?: AbortSignal;
  /** Told before each wait, e.g. to show "retry 1/3 in 5 s". */
  onRetry?: (retry: number, delayMs: number, error: PriceFetchError) => void;
  headers?: Record<string, string>;
}

export interface FetchedText {
  text: string;
  status: number;
  contentType: string;
  attempts: number;
}

/** Longest wait between attempts, however many retries are configured. */
export const MAX_BACKOFF_MS = 5 * 60_000;

export async function fetchPriceText(url: string, options: FetchOptions): Promise<FetchedText> {
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await fetchOnce(url, options);
      return { ...result, attempts: attempt + 1 };
    } catch (thrown) {
      if (options.signal?.aborted) throw new PriceFetchError('cancelled', false);
      const error = thrown instanceof PriceFetchError ? thrown : new PriceFetchError(String(thrown), true);
      if (!error.retryable || attempt >= options.retries) {
        if (attempt > 0) error.message = `${error.message} (after ${attempt + 1} attempts)`;
        throw error;
      }
      const delay = Math.min(options.backoffMs * 2 ** attempt, MAX_BACKOFF_MS);
      options.onRetry?.(attempt + 1, delay, error);
      await sleep(delay, options.signal);
    }
  }
}

async function fetchOnce(url: string, options: FetchOptions): Promise<Omit<FetchedText, 'attempts'>> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const cancel = (): void => controller.abort();
  options.signal?.addEventListener('abort', cancel, { once: true });
  try {
    const res = await fetch(url, {
      signal: controller.signal,
      headers: { accept: 'application/json', ...options.headers },
      redirect: 'follow',
    });
    const text = await res.text();
    if (!res.ok) {
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      throw new PriceFetchError(`HTTP ${res.status} ${res.statusText}`.trim(), retryable, res.status);
    }
    return { text, status: res.status, contentType: res.headers.get('content-type') ?? '' };
  } catch (thrown) {
    if (thrown instanceof PriceFetchError) throw thrown;
    if (timedOut) throw new PriceFetchError(`timed out after ${formatSeconds(options.timeoutMs)}`, true);
    if (options.signal?.aborted) throw new PriceFetchError('cancelled', false);
    throw new PriceFetchError(describeNetworkError(thrown), true);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', cancel);
  }
}

/** Node's fetch says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND) is in `cause`. */
function describeNetworkError(thrown: unknown): string {
  const err = thrown as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? 'fetch failed'} (${cause})` : (err.message ?? String(thrown));
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PriceFetchError('cancelled', false));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new PriceFetchError('cancelled', false));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
