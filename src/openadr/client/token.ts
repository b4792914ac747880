/**
 * OAuth2 client-credentials tokens for a VEN client: where the token endpoint is (an option,
 * `GET /auth/server` on 3.1 servers, or `{base}/auth/token`), one fetch shared by concurrent
 * requests, cached and refreshed before it expires.
 */
import type { LogHook } from '../../net/log';
import { describeErrorBody, OpenAdrError } from './errors';
import { errorBody, parseJson, type HttpExchange } from './http';
import type { TokenResponse } from './types';
import type { ApiVersion } from './client';

export interface TokenCredentials {
  clientId: string;
  clientSecret: string;
  tokenUrl?: string;
  scope?: string;
}

export interface TokenSourceOptions {
  credentials: TokenCredentials;
  apiVersion: ApiVersion;
  /** The VTN's base URL now (it may move when the VTN is found by name). */
  baseUrl: () => string;
  http: HttpExchange;
  /** Refresh this long before expiry (capped at 10% of the lifetime). */
  refreshSkewMs: number;
  now: () => number;
  log: LogHook;
}

export class TokenSource {
  private cached: { token: string; refreshAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  private resolvedUrl: string | undefined;

  constructor(private readonly o: TokenSourceOptions) {}

  /** A valid access token (cached; refreshed before expiry). */
  get(): Promise<string> {
    if (this.cached && this.o.now() < this.cached.refreshAt) return Promise.resolve(this.cached.token);
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Forget the cached token (all of it, or only when it is `token`, one the VTN refused). */
  invalidate(token?: string): void {
    if (token === undefined || this.cached?.token === token) this.cached = undefined;
  }

  /** The VTN moved: a 3.1 token endpoint is asked of it where it is now. */
  forgetUrl(): void {
    this.resolvedUrl = undefined;
  }

  async url(): Promise<string> {
    const { credentials, apiVersion } = this.o;
    const baseUrl = this.o.baseUrl();
    if (credentials.tokenUrl) return new URL(credentials.tokenUrl, `${baseUrl}/`).toString();
    if (this.resolvedUrl) return this.resolvedUrl;
    let found = `${baseUrl}/auth/token`;
    if (apiVersion === '3.1.0') found = (await this.askServer(baseUrl)) ?? found;
    this.resolvedUrl = found;
    return found;
  }

  /** 3.1 servers say where their token endpoint is; undefined: use the conventional path. */
  private async askServer(baseUrl: string): Promise<string | undefined> {
    const url = `${baseUrl}/auth/server`;
    try {
      const res = await this.o.http.exchange('GET', url, { headers: { Accept: 'application/json' } });
      if (res.status < 200 || res.status >= 300) return undefined;
      const info = parseJson('GET', url, res.status, res.text) as { tokenURL?: unknown } | undefined;
      if (info && typeof info.tokenURL === 'string' && info.tokenURL)
        return new URL(info.tokenURL, `${baseUrl}/`).toString();
    } catch (err) {
      if (err instanceof OpenAdrError && err.kind !== 'parse') throw err;
    }
    return undefined;
  }

  private async fetchToken(): Promise<string> {
    const { credentials, now } = this.o;
    const url = await this.url();
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
    });
    if (credentials.scope) form.set('scope', credentials.scope);
    const startedAt = now();
    const res = await this.o.http.exchange('POST', url, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
    });
    if (res.status >= 500) {
      throw new OpenAdrError('http', `POST ${url}: token endpoint answered ${res.status}`, {
        method: 'POST',
        url,
        status: res.status,
        body: res.text.slice(0, 500),
        retryAfterMs: res.retryAfterMs,
      });
    }
    if (res.status < 200 || res.status >= 300) {
      const body = errorBody(res.text);
      const why = describeErrorBody(body) ?? `HTTP ${res.status}`;
      throw new OpenAdrError(
        'auth',
        `token request for client id "${credentials.clientId}" refused (${res.status}: ${why})`,
        { method: 'POST', url, status: res.status, body },
      );
    }
    const body = parseJson('POST', url, res.status, res.text) as Partial<TokenResponse> | undefined;
    if (!body || typeof body.access_token !== 'string' || !body.access_token) {
      throw new OpenAdrError('parse', `POST ${url}: token response has no access_token`, {
        method: 'POST',
        url,
        status: res.status,
        body,
      });
    }
    this.cached = { token: body.access_token, refreshAt: this.refreshAt(startedAt, body.expires_in) };
    const lifetime = typeof body.expires_in === 'number' ? `, valid ${body.expires_in} s` : '';
    this.o.log('debug', `token for client id "${credentials.clientId}" fetched from ${url}${lifetime}`);
    return body.access_token;
  }

  private refreshAt(startedAt: number, expiresIn: unknown): number {
    if (typeof expiresIn !== 'number' || !(expiresIn > 0)) return Number.POSITIVE_INFINITY;
    const lifetimeMs = expiresIn * 1000;
    return startedAt + lifetimeMs - Math.min(this.o.refreshSkewMs, lifetimeMs * 0.1);
  }
}
