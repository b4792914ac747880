import { isRetryableStatus } from '../../net/retry';

/** Errors from talking to a VTN, classified so callers can choose a status and whether to retry. */
export type OpenAdrErrorKind =
  /** Could not connect, connection reset, DNS failure. */
  | 'network'
  /** No answer within the timeout. */
  | 'timeout'
  /** The token endpoint refused the credentials, or the VTN refused the token. */
  | 'auth'
  /** The VTN answered with an error status (4xx other than auth, or 5xx after retries). */
  | 'http'
  /** The VTN answered 2xx with a body that is not the JSON it should be. */
  | 'parse'
  /**
   * TLS refused: the VTN's certificate is not trusted (self-signed, unknown CA, expired, wrong
   * host) or the handshake failed (client certificate, TLS version). Never retried: it needs a
   * configuration change, not another try.
   */
  | 'tls'
  /**
   * The client was closed (its connection config node stopped, as on a redeploy) before or while
   * the request ran. Nothing reached the VTN or its answer was lost; never retried. Nodes drop
   * the message it was for with one warning (nodes/shared/input.ts), not an error.
   */
  | 'closed';

export class OpenAdrError extends Error {
  readonly kind: OpenAdrErrorKind;
  readonly status?: number;
  /** The problem / authError body the VTN sent, when it sent one. */
  readonly body?: unknown;
  readonly method: string;
  readonly url: string;
  /** The VTN's Retry-After, ms, when it sent one with an error status. */
  readonly retryAfterMs?: number;

  constructor(
    kind: OpenAdrErrorKind,
    message: string,
    details: {
      status?: number;
      body?: unknown;
      method: string;
      url: string;
      cause?: unknown;
      retryAfterMs?: number;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OpenAdrError';
    this.kind = kind;
    this.status = details.status;
    this.body = details.body;
    this.method = details.method;
    this.url = details.url;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }

  /** Network errors, timeouts, 408, 429 and 5xx may succeed on a later try. */
  get retryable(): boolean {
    return (
      this.kind === 'network' ||
      this.kind === 'timeout' ||
      (this.kind === 'http' && this.status !== undefined && isRetryableStatus(this.status))
    );
  }
}

/** A readable one-line reason from a problem (RFC 7807) or authError (RFC 6749) body. */
export function describeErrorBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null)
    return typeof body === 'string' && body ? body.slice(0, 200) : undefined;
  const b = body as Record<string, unknown>;
  const parts = [b.title, b.detail, b.error, b.error_description].filter((p) => typeof p === 'string' && p);
  return parts.length ? parts.join(': ') : undefined;
}
