/**
 * `createVenClient(options)`: a typed OpenADR 3.0.1 client for VENs and business-logic (BL)
 * clients. It owns what the open-source clients leave to the caller, one concern per module:
 * - token.ts: OAuth2 client-credentials tokens, cached and refreshed before they expire; one token
 *   fetch shared by concurrent requests; on 401/403 with a cached token, one refresh and one retry;
 * - http.ts: one exchange with a deadline, failures classified (timeout, network, tls, closed);
 * - request.ts: retries (src/net/retry.ts: backoff with jitter on network errors, timeouts, 408,
 *   429 and 5xx, the VTN's Retry-After honoured; POSTs only when the connection was refused or
 *   the VTN answered 429, so a VTN never gets the same object twice), a VTN found by name;
 * - operations.ts: the typed operations and pagination (`limit` ≤ 50, `skip` until a short page);
 * - health.ts: a health record every node using the client can show honestly;
 * plus anonymous mode for public read-only servers (e.g. 3.1.0 price servers) and tolerant
 * reading of real servers' quirks (normalize.ts).
 */
import type { LookupFunction } from 'net';
import { noLog, type LogHook } from '../../net/log';
import { HealthRecord, type ClientHealth } from './health';
import { HttpExchange } from './http';
import { MAX_PAGE_SIZE, venOperations } from './operations';
import { Requester, type RequestOptions } from './request';
import { TokenSource } from './token';
import type { ListQuery, OpenAdrEvent, Program, Report, Resource, Subscription, Ven } from './types';

export type { ClientHealth, HealthState } from './health';
export type { RequestOptions } from './request';
export { MAX_PAGE_SIZE };

export type ApiVersion = '3.0.1' | '3.1.0';

export type VenClientAuth =
  | { type: 'anonymous' }
  | { type: 'oauth2'; clientId: string; clientSecret: string; tokenUrl?: string; scope?: string };

/**
 * TLS settings for an https VTN (and its token endpoint). Without them the VTN's certificate is
 * verified against Node's well-known CAs (plus NODE_EXTRA_CA_CERTS).
 */
export interface VenClientTls {
  /** PEM CA certificate(s) to trust instead of the well-known CAs (a private CA). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** PEM client certificate and key, for a VTN that asks for client certificates. */
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  /**
   * false: accept a certificate that cannot be verified (the 3.1.0 Definition's "allow
   * unverified TLS connections" setting; nodes show it yellow). Default true.
   */
  rejectUnauthorized?: boolean;
}

export interface VenClientOptions {
  /** e.g. https://vtn.example.com/openadr3/3.0.1 */
  baseUrl: string;
  /** Private CA, client certificate, or unverified mode (see VenClientTls). */
  tls?: VenClientTls;
  /** Default: read from the base URL path (…/3.1.0 or …/3.1), else 3.0.1. */
  apiVersion?: ApiVersion;
  /** Default anonymous. */
  auth?: VenClientAuth;
  /** Per request, ms. Default 10000. */
  timeoutMs?: number;
  /** Extra tries after the first on retryable failures. Default 3. */
  retries?: number;
  /** First backoff step, ms (doubles each retry). Default 500. */
  backoffMs?: number;
  /** Largest backoff step, ms. Default 10000. */
  maxBackoffMs?: number;
  /** Longest wait a VTN's Retry-After may ask for, ms (a longer one is shortened). Default 60000. */
  maxRetryAfterMs?: number;
  /** Refresh a token this long before it expires (capped at 10% of its lifetime). Default 60000. */
  refreshSkewMs?: number;
  /**
   * Where the VTN is now, for a VTN found by name (mDNS): asked before the first request and
   * again after the VTN could not be reached, so a gateway whose address changed is found again.
   * Returns the base URL to use from then on.
   */
  locate?: () => Promise<string>;
  /**
   * How host names are looked up for this VTN's connections (e.g. `.local` names through mDNS,
   * see src/openadr/local/lookup.ts). The client then has a connection pool of its own.
   */
  lookup?: LookupFunction;
  /** Diagnostics: every exchange (trace), retries and token fetches (debug). */
  log?: LogHook;
  /** Test seams. */
  fetch?: typeof fetch;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface VenClient {
  readonly baseUrl: string;
  readonly apiVersion: ApiVersion;
  readonly anonymous: boolean;
  /** The OAuth2 client id (undefined when anonymous): 3.1.0 MQTT brokers may want it as username. */
  readonly clientId: string | undefined;
  /** The TLS settings given (MQTT push connects to the broker with the same CA and certificate). */
  readonly tls: VenClientTls | undefined;
  /** False when unverified certificates are accepted (tls.rejectUnauthorized false). */
  readonly tlsVerified: boolean;
  // programs
  getPrograms(query?: ListQuery): Promise<Program[]>;
  getAllPrograms(query?: ListQuery): Promise<Program[]>;
  getProgram(programID: string): Promise<Program>;
  createProgram(program: Program): Promise<Program>;
  updateProgram(programID: string, program: Program): Promise<Program>;
  deleteProgram(programID: string): Promise<Program>;
  // events
  getEvents(query?: ListQuery): Promise<OpenAdrEvent[]>;
  getAllEvents(query?: ListQuery): Promise<OpenAdrEvent[]>;
  getEvent(eventID: string): Promise<OpenAdrEvent>;
  createEvent(event: OpenAdrEvent): Promise<OpenAdrEvent>;
  updateEvent(eventID: string, event: OpenAdrEvent): Promise<OpenAdrEvent>;
  deleteEvent(eventID: string): Promise<OpenAdrEvent>;
  // reports
  getReports(query?: ListQuery): Promise<Report[]>;
  getAllReports(query?: ListQuery): Promise<Report[]>;
  getReport(reportID: string): Promise<Report>;
  createReport(report: Report): Promise<Report>;
  updateReport(reportID: string, report: Report): Promise<Report>;
  deleteReport(reportID: string): Promise<Report>;
  // subscriptions
  getSubscriptions(query?: ListQuery): Promise<Subscription[]>;
  getAllSubscriptions(query?: ListQuery): Promise<Subscription[]>;
  getSubscription(subscriptionID: string): Promise<Subscription>;
  createSubscription(subscription: Subscription): Promise<Subscription>;
  updateSubscription(subscriptionID: string, subscription: Subscription): Promise<Subscription>;
  deleteSubscription(subscriptionID: string): Promise<Subscription>;
  // vens and their resources
  getVens(query?: ListQuery): Promise<Ven[]>;
  getAllVens(query?: ListQuery): Promise<Ven[]>;
  getVen(venID: string): Promise<Ven>;
  createVen(ven: Ven): Promise<Ven>;
  updateVen(venID: string, ven: Ven): Promise<Ven>;
  deleteVen(venID: string): Promise<Ven>;
  getResources(venID: string, query?: ListQuery): Promise<Resource[]>;
  getResource(venID: string, resourceID: string): Promise<Resource>;
  createResource(venID: string, resource: Resource): Promise<Resource>;
  updateResource(venID: string, resourceID: string, resource: Resource): Promise<Resource>;
  deleteResource(venID: string, resourceID: string): Promise<Resource>;
  // auth
  /** The token URL in use: option, `GET /auth/server` (3.1), or `{base}/auth/token`. */
  tokenUrl(): Promise<string>;
  /** A valid access token (cached; refreshed before expiry). Throws in anonymous mode. */
  getToken(): Promise<string>;
  /** Forget the cached token (the next request fetches a new one). */
  invalidateToken(): void;
  // generic
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** Every page of a list operation, `limit` ≤ 50, until a short page. */
  paginate<T>(
    fetchPage: (query: ListQuery) => Promise<T[]>,
    query?: ListQuery,
    pageSize?: number,
  ): Promise<T[]>;
  health(): ClientHealth;
  onHealth(listener: (health: ClientHealth) => void): () => void;
  /** Close the connections of a client with a pool of its own (`tls` or `lookup`). */
  close(): Promise<void>;
}

function versionFromUrl(url: string): ApiVersion | undefined {
  if (/\/3\.1(?:\.\d+)?(?:\/|$)/.test(url)) return '3.1.0';
  if (/\/3\.0(?:\.\d+)?(?:\/|$)/.test(url)) return '3.0.1';
  return undefined;
}

function checkOptions(options: VenClientOptions): VenClientAuth {
  if (!options || typeof options.baseUrl !== 'string' || !/^https?:\/\//i.test(options.baseUrl)) {
    throw new Error(`baseUrl must be an http(s) URL, got ${JSON.stringify(options?.baseUrl)}`);
  }
  const auth: VenClientAuth = options.auth ?? { type: 'anonymous' };
  if (auth.type === 'oauth2' && (!auth.clientId || !auth.clientSecret)) {
    throw new Error('OAuth2 needs auth.clientId and auth.clientSecret (client credentials)');
  }
  return auth;
}

export function createVenClient(options: VenClientOptions): VenClient {
  const auth = checkOptions(options);
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const apiVersion: ApiVersion = options.apiVersion ?? versionFromUrl(baseUrl) ?? '3.0.1';
  const now = options.now ?? Date.now;
  const tls = options.tls;
  const http = new HttpExchange({
    timeoutMs: options.timeoutMs ?? 10000,
    tls,
    lookup: options.lookup,
    fetch: options.fetch,
    now,
    log: options.log ?? noLog,
  });
  const health = new HealthRecord(now);
  const tokens =
    auth.type === 'oauth2'
      ? new TokenSource({
          credentials: auth,
          apiVersion,
          baseUrl: (): string => requester.baseUrl, // where the VTN is now
          http,
          refreshSkewMs: options.refreshSkewMs ?? 60000,
          now,
          log: options.log ?? noLog,
        })
      : undefined;
  const requester: Requester = new Requester({
    baseUrl,
    http,
    tokens,
    health,
    // "Equal jitter": at least half the step, so waits still grow, but clients spread out.
    policy: {
      retries: options.retries ?? 3,
      baseDelayMs: options.backoffMs ?? 500,
      maxDelayMs: options.maxBackoffMs ?? 10000,
      jitter: 'equal',
      random: options.random ?? Math.random,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    },
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    locate: options.locate,
    log: options.log ?? noLog,
  });
  const anonymous = (): never => {
    throw new Error('anonymous client: no token');
  };
  return {
    get baseUrl() {
      return requester.baseUrl;
    },
    apiVersion,
    anonymous: auth.type === 'anonymous',
    clientId: auth.type === 'oauth2' ? auth.clientId : undefined,
    tls,
    tlsVerified: tls?.rejectUnauthorized !== false,
    ...venOperations(requester, health, apiVersion),
    tokenUrl: async () =>
      tokens ? tokens.url() : Promise.reject(new Error('anonymous client: no token URL')),
    getToken: async () => (tokens ? tokens.get() : anonymous()),
    invalidateToken: () => tokens?.invalidate(),
    request: (method, path, opts) => requester.request(method, path, opts),
    health: () => health.get(),
    onHealth: (listener) => health.onChange(listener),
    close: () => http.close(),
  };
}
