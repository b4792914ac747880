/**
 * A VEN client's requests: where the VTN is (found by name, looked for again after it could not
 * be reached), the bearer token (one refresh and one retry on 401/403), the retry policy
 * (src/net/retry.ts: backoff with jitter, the VTN's Retry-After; a POST only when it certainly
 * never reached the VTN) and the health record.
 */
import { isRefusedStatus, withRetry, type RetryDecision, type RetryPolicy } from '../../net/retry';
import type { LogHook } from '../../net/log';
import { describeErrorBody, OpenAdrError } from './errors';
import type { HealthRecord } from './health';
import { errorBody, parseJson, type HttpExchange } from './http';
import type { TokenSource } from './token';
import type { ListQuery } from './types';

export interface RequestOptions {
  query?: ListQuery | Record<string, unknown>;
  body?: unknown;
  /** Retry on 5xx / network errors. Default: true except for POST. */
  idempotent?: boolean;
}

export interface RequesterOptions {
  baseUrl: string;
  http: HttpExchange;
  /** Undefined: anonymous. */
  tokens: TokenSource | undefined;
  health: HealthRecord;
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  locate?: () => Promise<string>;
  log: LogHook;
}

function buildQuery(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, String(v)));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

interface Call {
  method: string;
  path: string;
  query: string;
  body: string | undefined;
  /** A refused token was replaced once already (never twice: no loop). */
  refreshed: boolean;
}

export class Requester {
  baseUrl: string;
  /** False until located, and again after the VTN could not be reached. */
  private located: boolean;
  private locating: Promise<void> | undefined;

  constructor(private readonly o: RequesterOptions) {
    this.baseUrl = o.baseUrl;
    this.located = !o.locate;
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const call: Call = {
      method,
      path,
      query: buildQuery(opts.query as Record<string, unknown> | undefined),
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      refreshed: false,
    };
    const idempotent = opts.idempotent ?? method !== 'POST';
    const label = `${method} ${path}`;
    const url = `${this.baseUrl}${path}`;
    return this.o.http.run(method, url, label, () => this.retrying<T>(call, idempotent, url, label));
  }

  private async retrying<T>(call: Call, idempotent: boolean, url: string, label: string): Promise<T> {
    try {
      const result = await withRetry(() => this.attempt(call), {
        policy: this.o.policy,
        decide: (err) => this.decide(err, idempotent),
        // Closing: no further try (the failure is already kind 'closed'), and no wait for one.
        signal: this.o.http.closingSignal,
        sleep: (ms) => this.o.http.waitUnlessClosing(this.o.sleep(ms), call.method, url, label),
        onRetry: (n, delay, err) =>
          this.o.log(
            'debug',
            `${(err as Error).message}; retry ${n}/${this.o.policy.retries} in ${Math.round(delay)} ms`,
          ),
      });
      this.o.health.set('ok');
      return result as T;
    } catch (err) {
      this.o.health.failure(err);
      throw err;
    }
  }

  private decide(err: unknown, idempotent: boolean): RetryDecision {
    if (!(err instanceof OpenAdrError)) return { retry: false };
    // Not reachable where it was: look for it again before the next try.
    if (this.o.locate && (err.kind === 'network' || err.kind === 'timeout')) this.located = false;
    // Never reached the VTN, or refused before it acted: safe to send even a POST again.
    const refused =
      (err as { code?: string }).code === 'ECONNREFUSED' ||
      (err.status !== undefined && isRefusedStatus(err.status));
    return { retry: err.retryable && (idempotent || refused), retryAfterMs: err.retryAfterMs };
  }

  /** One try: at most two exchanges (the second with a fresh token after a refusal). */
  private async attempt(call: Call): Promise<unknown> {
    for (;;) {
      await this.locate();
      const { method, path } = call;
      const url = `${this.baseUrl}${path}${call.query}`;
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (call.body !== undefined) headers['Content-Type'] = 'application/json';
      const usedToken = await this.o.tokens?.get();
      if (usedToken !== undefined) headers.Authorization = `Bearer ${usedToken}`;
      const label = `${method} ${path}`;
      const res = await this.o.http.exchange(method, url, { headers, body: call.body }, label);
      if ((res.status === 401 || res.status === 403) && usedToken !== undefined && !call.refreshed) {
        // The token may have expired early or been revoked: one fresh token, one retry.
        call.refreshed = true;
        this.o.log('debug', `${method} ${path}: token refused (${res.status}), fetching a new one`);
        this.o.tokens?.invalidate(usedToken);
        continue;
      }
      if (res.status < 200 || res.status >= 300) throw this.statusError(method, path, url, res);
      return parseJson(method, url, res.status, res.text, label);
    }
  }

  private statusError(
    method: string,
    path: string,
    url: string,
    res: { status: number; text: string; retryAfterMs?: number },
  ): OpenAdrError {
    const body = errorBody(res.text);
    const why = describeErrorBody(body);
    const kind = res.status === 401 || res.status === 403 ? 'auth' : 'http';
    const hint =
      kind === 'auth'
        ? this.o.tokens
          ? ' (token refused after a refresh)'
          : ' (this server needs credentials)'
        : '';
    return new OpenAdrError(
      kind,
      `${method} ${path}: VTN answered ${res.status}${why ? ` (${why})` : ''}${hint}`,
      {
        method,
        url,
        status: res.status,
        body,
        retryAfterMs: res.retryAfterMs,
      },
    );
  }

  /** Ask where the VTN is (found by name) before the first request and after it was lost. */
  private locate(): Promise<void> {
    const find = this.o.locate;
    if (this.located || !find) return Promise.resolve();
    this.locating ??= this.relocate(find).finally(() => {
      this.locating = undefined;
    });
    return this.locating;
  }

  private async relocate(find: () => Promise<string>): Promise<void> {
    let url: string;
    try {
      url = String(await find()).replace(/\/+$/, '');
    } catch (err) {
      throw new OpenAdrError('network', `cannot find the VTN: ${(err as Error).message}`, {
        method: 'GET',
        url: this.baseUrl,
        cause: err,
      });
    }
    if (!/^https?:\/\//i.test(url))
      throw new Error(`the VTN was found at ${url}, which is not an http(s) URL`);
    if (url !== this.baseUrl) {
      this.o.log('debug', `the VTN was found at ${url} (was ${this.baseUrl})`);
      this.baseUrl = url;
      this.o.tokens?.forgetUrl(); // 3.1: the token endpoint is asked of the VTN where it is now
    }
    this.located = true;
  }
}
