/**
 * Fetching a price feed over HTTP: a timeout on every attempt (headers and body), retries with
 * exponential backoff for failures that may pass (network errors, timeouts, HTTP 5xx, 408, 429),
 * none for those that will not (other 4xx), and cancellation from outside (a node closing).
 * The policy (which failures, how long to wait, Retry-After) is src/net/retry.ts.
 */
import {
  AbortedError,
  AttemptTimeoutError,
  isRetryableStatus,
  parseRetryAfter,
  withRetry,
  withTimeout,
} from '../net/retry';

export class PriceFetchError extends Error {
  constructor(
    message: string,
    /** Worth trying again: the failure may be temporary. */
    readonly retryable: boolean,
    readonly status?: number,
    /** The server's Retry-After, ms, when it sent one. */
    readonly retryAfterMs?: number,
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
  /** Largest body read, in bytes (default DEFAULT_MAX_PRICE_BYTES); a larger one fails at once. */
  maxBytes?: number;
}

/** A day of 5-minute prices is about 30 kB; 2 MB is room for any real feed. */
export const DEFAULT_MAX_PRICE_BYTES = 2 * 1024 * 1024;

export interface FetchedText {
  text: string;
  status: number;
  contentType: string;
  attempts: number;
}

/** Longest wait between attempts, however many retries are configured. */
export const MAX_BACKOFF_MS = 5 * 60_000;

export async function fetchPriceText(url: string, options: FetchOptions): Promise<FetchedText> {
  let attempts = 0;
  try {
    const result = await withRetry<Omit<FetchedText, 'attempts'>, PriceFetchError>(
      () => {
        attempts++;
        return fetchOnce(url, options);
      },
      {
        policy: {
          retries: options.retries,
          baseDelayMs: options.backoffMs,
          maxDelayMs: MAX_BACKOFF_MS,
          maxRetryAfterMs: MAX_BACKOFF_MS,
        },
        decide: (err) =>
          err instanceof PriceFetchError
            ? { retry: err.retryable, retryAfterMs: err.retryAfterMs }
            : { retry: true },
        signal: options.signal,
        onRetry: options.onRetry,
      },
    );
    return { ...result, attempts };
  } catch (thrown) {
    if (options.signal?.aborted) throw new PriceFetchError('cancelled', false);
    const error = thrown instanceof PriceFetchError ? thrown : new PriceFetchError(String(thrown), true);
    if (attempts > 1) error.message = `${error.message} (after ${attempts} attempts)`;
    throw error;
  }
}

async function fetchOnce(url: string, options: FetchOptions): Promise<Omit<FetchedText, 'attempts'>> {
  try {
    return await withTimeout(
      async (signal) => {
        const res = await fetch(url, {
          signal,
          headers: { accept: 'application/json', ...options.headers },
          redirect: 'follow',
        });
        const text = await readLimited(res, options.maxBytes ?? DEFAULT_MAX_PRICE_BYTES);
        if (!res.ok) {
          throw new PriceFetchError(
            `HTTP ${res.status} ${res.statusText}`.trim(),
            isRetryableStatus(res.status),
            res.status,
            parseRetryAfter(res.headers.get('retry-after')),
          );
        }
        return { text, status: res.status, contentType: res.headers.get('content-type') ?? '' };
      },
      options.timeoutMs,
      options.signal,
    );
  } catch (thrown) {
    if (thrown instanceof PriceFetchError) throw thrown;
    if (thrown instanceof AttemptTimeoutError)
      throw new PriceFetchError(`timed out after ${formatSeconds(options.timeoutMs)}`, true);
    if (thrown instanceof AbortedError) throw new PriceFetchError('cancelled', false);
    throw new PriceFetchError(describeNetworkError(thrown), true);
  }
}

/**
 * The body as text, at most `maxBytes` of it: a larger one (by Content-Length, or counted as it
 * arrives) is not worth retrying and fails before it fills memory.
 */
async function readLimited(res: Response, maxBytes: number): Promise<string> {
  const tooBig = (): PriceFetchError => {
    void res.body?.cancel().catch(() => undefined);
    return new PriceFetchError(
      `the response body is larger than ${maxBytes} bytes (the size limit)`,
      false,
      res.status,
    );
  };
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooBig();
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooBig();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
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
