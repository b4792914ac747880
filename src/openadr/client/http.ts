/**
 * One HTTP exchange with a VTN: a deadline on every request, and every failure classified as an
 * OpenAdrError (timeout, network, tls, closed) so the retry policy and the health record can
 * tell them apart. Owns the client's connection pool when it has one of its own.
 */
import type { LookupFunction } from 'net';
import { Agent, fetch as undiciFetch } from 'undici';
import type { LogHook } from '../../net/log';
import { AttemptTimeoutError, parseRetryAfter, withTimeout } from '../../net/retry';
import { probeTls, tlsProblem, type TlsProblem } from '../../tls/errors';
import { OpenAdrError } from './errors';
import type { VenClientTls } from './client';

export interface HttpAnswer {
  status: number;
  text: string;
  /** The VTN's Retry-After, ms, when it sent one. */
  retryAfterMs?: number;
}

export interface HttpExchangeOptions {
  timeoutMs: number;
  tls?: VenClientTls;
  lookup?: LookupFunction;
  fetch?: typeof fetch;
  now: () => number;
  log: LogHook;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

/** undici's codes for a request on a pool that was closed or destroyed under it. */
const CLOSED_CODES = new Set(['UND_ERR_DESTROYED', 'UND_ERR_CLOSED']);

export class HttpExchange {
  private readonly agent: Agent | undefined;
  private readonly doFetch: typeof fetch;
  /**
   * close() was called: new requests are refused; those already running may finish their try,
   * but are not tried again, and a failure ends as kind 'closed'.
   */
  private closing = false;
  /** Aborted when close() begins: cuts short a running request's wait before its next try. */
  private readonly closingController = new AbortController();
  /** The pool is closed: every exchange is refused. */
  private closed = false;
  /** Requests that began before close(): close() waits for them (bounded). */
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly o: HttpExchangeOptions) {
    // With TLS settings or a lookup the client has its own connection pool (undici Agent), so a
    // private CA, a client certificate or .local name resolution applies to this VTN only, never
    // to the rest of the process.
    this.agent = (o.tls || o.lookup) && !o.fetch ? new Agent({ connect: this.connectOptions() }) : undefined;
    const agent = this.agent;
    this.doFetch =
      o.fetch ??
      (agent
        ? (((url: string, init: RequestInit) =>
            undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch)
        : fetch);
  }

  private connectOptions(): Record<string, unknown> {
    const { tls, lookup } = this.o;
    return {
      ...(tls
        ? {
            ca: tls.ca,
            cert: tls.cert,
            key: tls.key,
            passphrase: tls.passphrase,
            rejectUnauthorized: tls.rejectUnauthorized !== false,
          }
        : {}),
      ...(lookup ? { lookup } : {}),
    };
  }

  /** Send one request; the answer whatever its status, or a classified OpenAdrError. */
  async exchange(
    method: string,
    url: string,
    init: { headers: Record<string, string>; body?: string },
    label = `${method} ${url}`,
  ): Promise<HttpAnswer> {
    if (this.closed) throw this.closedError(method, url, label);
    const started = this.o.now();
    try {
      const answer = await withTimeout(async (signal) => {
        const res = await this.doFetch(url, { method, headers: init.headers, body: init.body, signal });
        const text = await res.text();
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.o.now());
        return { status: res.status, text, retryAfterMs };
      }, this.o.timeoutMs);
      this.o.log('trace', `${label} → ${answer.status} (${this.o.now() - started} ms)`);
      return answer;
    } catch (err) {
      const e = await this.classify(err, method, url, label);
      this.o.log('trace', `${label} → ${e.kind} (${this.o.now() - started} ms)`);
      throw e;
    }
  }

  /**
   * Run one request (all its exchanges: token, retries) unless the client is closing. A request
   * that began before close() may finish its try: a node stopping in the same redeploy as its
   * connection (Node-RED stops nodes before their config nodes, in one go) still deletes its
   * webhook subscription. It is not tried again, and a failure ends as kind 'closed': a redeploy
   * that stops the VTN and this connection together is not a fault to report. One that begins
   * after close() ends as kind 'closed'.
   */
  run<T>(method: string, url: string, label: string, request: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(this.closedError(method, url, label));
    const p = request();
    this.running.add(p);
    const forget = (): void => void this.running.delete(p);
    p.then(forget, forget);
    return p;
  }

  /**
   * Close: refuse new requests, wait (at most `graceMs`) for those running, then close the pool
   * (a client with one of its own); whatever is still running then ends as kind 'closed'.
   */
  async close(graceMs = 3000): Promise<void> {
    this.closing = true;
    this.closingController.abort();
    if (this.running.size) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.running]),
        new Promise((r) => (timer = setTimeout(r, graceMs))),
      ]);
      clearTimeout(timer);
    }
    this.closed = true;
    await this.agent?.close();
  }

  /** Aborts when close() begins. */
  get closingSignal(): AbortSignal {
    return this.closingController.signal;
  }

  /**
   * Wait out `pause` (the wait before a retry), or fail as kind 'closed' as soon as close()
   * begins: the next try would only end that way, and close() should not wait for it.
   */
  waitUnlessClosing(pause: Promise<void>, method: string, url: string, label: string): Promise<void> {
    const signal = this.closingController.signal;
    if (signal.aborted) return Promise.reject(this.closedError(method, url, label));
    return new Promise<void>((resolve, reject) => {
      const onClose = (): void => reject(this.closedError(method, url, label));
      signal.addEventListener('abort', onClose, { once: true });
      pause.then(
        () => {
          signal.removeEventListener('abort', onClose);
          resolve();
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onClose);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  closedError(method: string, url: string, label: string, cause?: unknown): OpenAdrError {
    return new OpenAdrError('closed', `${label}: the connection to the VTN was closed`, {
      method,
      url,
      cause,
    });
  }

  private async classify(err: unknown, method: string, url: string, label: string): Promise<OpenAdrError> {
    if (this.closing) return this.closedError(method, url, label, err);
    if (err instanceof AttemptTimeoutError) {
      return new OpenAdrError('timeout', `${label}: no answer within ${this.o.timeoutMs} ms`, {
        method,
        url,
        cause: err,
      });
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? (err as { code?: string }).code;
    if (code !== undefined && CLOSED_CODES.has(code)) return this.closedError(method, url, label, err);
    const tp = tlsProblem(err) ?? (await this.diagnoseTls(url, err));
    if (tp) return tlsError(tp, method, url, label, err);
    const reason = code ?? cause?.message ?? (err as Error).message;
    const e = new OpenAdrError('network', `${label}: cannot reach the VTN (${reason})`, {
      method,
      url,
      cause: err,
    });
    (e as OpenAdrError & { code?: string }).code = code;
    return e;
  }

  /**
   * A closed socket on an https URL may be a TLS refusal whose alert the HTTP client lost (a
   * TLS 1.3 server refusing our client certificate): one handshake of our own tells.
   */
  private async diagnoseTls(url: string, err: unknown): Promise<TlsProblem | undefined> {
    if (!/^https:/i.test(url) || this.o.fetch) return undefined;
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') return undefined;
    const tls = this.o.tls;
    return probeTls(url, {
      ca: tls?.ca,
      cert: tls?.cert,
      key: tls?.key,
      passphrase: tls?.passphrase,
      rejectUnauthorized: tls?.rejectUnauthorized !== false,
      lookup: this.o.lookup,
    });
  }
}

function tlsError(tp: TlsProblem, method: string, url: string, label: string, cause: unknown): OpenAdrError {
  const what = tp.certificate ? `VTN certificate refused: ${tp.reason}` : `TLS: ${tp.reason}`;
  const detail =
    tp.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? ` (${hostOf(url)} is not in the certificate)` : '';
  const hint = tp.certificate
    ? "; trust its CA in the connection's TLS configuration, or allow unverified certificates"
    : '';
  const e = new OpenAdrError('tls', `${what}${detail} — ${label}${hint}`, { method, url, cause });
  (e as OpenAdrError & { code?: string }).code = tp.code;
  return e;
}

/** A body as JSON (undefined when empty), or a 'parse' error quoting its start. */
export function parseJson(
  method: string,
  url: string,
  status: number,
  text: string,
  label = `${method} ${url}`,
): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new OpenAdrError(
      'parse',
      `${label}: answer (${status}) is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
      { method, url, status, body: text.slice(0, 500) },
    );
  }
}

/** An error body as JSON when it is JSON, else its text. */
export function errorBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
