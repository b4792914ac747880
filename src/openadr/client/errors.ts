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
  | 'parse';

export class OpenAdrError extends Error {
  readonly kind: OpenAdrErrorKind;
  readonly status?: number;
  /** The problem / authError body the VTN sent, when it sent one. */
  readonly body?: unknown;
  readonly method: string;
  readonly url: string;

  constructor(
    kind: OpenAdrErrorKind,
    message: string,
    details: { status?: number; body?: unknown; method: string; url: string; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OpenAdrError';
    this.kind = kind;
    this.status = details.status;
    this.body = details.body;
    this.method = details.method;
    this.url = details.url;
  }

  /** Network errors, timeouts and 5xx may succeed on a later try. */
  get retryable(): boolean {
    return (
      this.kind === 'network' ||
      this.kind === 'timeout' ||
      (this.kind === 'http' && (this.status ?? 0) >= 500)
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
