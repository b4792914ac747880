/**
 * `createVenClient(options)`: a typed OpenADR 3.0.1 client for VENs and business-logic (BL)
 * clients. It owns what the open-source clients leave to the caller:
 * - OAuth2 client-credentials tokens, cached and refreshed before they expire; one token fetch
 *   shared by concurrent requests; on 401/403 with a cached token, one refresh and one retry;
 * - a timeout on every request;
 * - exponential backoff with jitter on network errors, timeouts and 5xx (POSTs are retried only
 *   when the connection was refused, so a VTN never gets the same object twice);
 * - anonymous mode for public read-only servers (e.g. 3.1.0 price servers);
 * - pagination (`limit` ≤ 50, `skip` until a short page);
 * - tolerant reading of real servers' quirks (normalize.ts), and a health record every node
 *   using the client can show honestly.
 */
import { OpenAdrError, describeErrorBody } from './errors';
import { normalizeEvent, normalizeObject, normalizeProgram, normalizeReport } from './normalize';
import type {
  ListQuery,
  OpenAdrEvent,
  Program,
  Report,
  Resource,
  Subscription,
  TokenResponse,
  Ven,
} from './types';

export type ApiVersion = '3.0.1' | '3.1.0';

export type VenClientAuth =
  | { type: 'anonymous' }
  | { type: 'oauth2'; clientId: string; clientSecret: string; tokenUrl?: string; scope?: string };

export interface VenClientOptions {
  /** e.g. http://127.0.0.1:8080/openadr3/3.0.1 */
  baseUrl: string;
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
  /** Refresh a token this long before it expires (capped at 10% of its lifetime). Default 60000. */
  refreshSkewMs?: number;
  /** Test seams. */
  fetch?: typeof fetch;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type HealthState = 'unknown' | 'ok' | 'unreachable' | 'auth-failed' | 'error';

export interface ClientHealth {
  state: HealthState;
  /** ISO time the current state began (e.g. when the VTN became unreachable). */
  since: string | null;
  lastOkAt: string | null;
  lastError: string | null;
}

export interface RequestOptions {
  query?: ListQuery | Record<string, unknown>;
  body?: unknown;
  /** Retry on 5xx / network errors. Default: true except for POST. */
  idempotent?: boolean;
}

export const MAX_PAGE_SIZE = 50;

export interface VenClient {
  readonly baseUrl: string;
  readonly apiVersion: ApiVersion;
  readonly anonymous: boolean;
  /** The OAuth2 client id (undefined when anonymous): 3.1.0 MQTT brokers may want it as username. */
  readonly clientId: string | undefined;
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
}

function versionFromUrl(url: string): ApiVersion | undefined {
  if (/\/3\.1(?:\.\d+)?(?:\/|$)/.test(url)) return '3.1.0';
  if (/\/3\.0(?:\.\d+)?(?:\/|$)/.test(url)) return '3.0.1';
  return undefined;
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

const seg = (id: string): string => {
  if (typeof id !== 'string' && typeof id !== 'number')
    throw new Error(`object id must be a string, got ${JSON.stringify(id)}`);
  if (String(id) === '') throw new Error('object id must not be empty');
  return encodeURIComponent(String(id));
};

export function createVenClient(options: VenClientOptions): VenClient {
  if (!options || typeof options.baseUrl !== 'string' || !/^https?:\/\//i.test(options.baseUrl)) {
    throw new Error(`baseUrl must be an http(s) URL, got ${JSON.stringify(options?.baseUrl)}`);
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const apiVersion: ApiVersion = options.apiVersion ?? versionFromUrl(baseUrl) ?? '3.0.1';
  const auth: VenClientAuth = options.auth ?? { type: 'anonymous' };
  if (auth.type === 'oauth2' && (!auth.clientId || !auth.clientSecret)) {
    throw new Error('OAuth2 needs auth.clientId and auth.clientSecret (client credentials)');
  }
  const timeoutMs = options.timeoutMs ?? 10000;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 10000;
  const refreshSkewMs = options.refreshSkewMs ?? 60000;
  const doFetch = options.fetch ?? fetch;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;

  // ---- health ------------------------------------------------------------------------------
  let health: ClientHealth = { state: 'unknown', since: null, lastOkAt: null, lastError: null };
  const listeners = new Set<(h: ClientHealth) => void>();
  const setHealth = (state: HealthState, error?: string): void => {
    const at = new Date(now()).toISOString();
    const next: ClientHealth = {
      state,
      since: state === health.state ? health.since : at,
      lastOkAt: state === 'ok' ? at : health.lastOkAt,
      lastError: error ?? (state === 'ok' ? null : health.lastError),
    };
    const changed = next.state !== health.state || next.lastError !== health.lastError;
    health = next;
    if (changed) {
      for (const l of listeners) {
        try {
          l(health);
        } catch {
          // A listener's failure must not break the request that reported health.
        }
      }
    }
  };
  const recordFailure = (err: unknown): void => {
    if (!(err instanceof OpenAdrError)) return;
    if (
      err.kind === 'network' ||
      err.kind === 'timeout' ||
      (err.kind === 'http' && (err.status ?? 0) >= 500)
    ) {
      setHealth('unreachable', err.message);
    } else if (err.kind === 'auth') setHealth('auth-failed', err.message);
    else if (err.kind === 'parse') setHealth('error', err.message);
    else setHealth('ok'); // a 4xx answer (e.g. 404) still means the VTN is up and talking
  };

  // ---- one HTTP exchange -----------------------------------------------------------------------
  async function exchange(
    method: string,
    url: string,
    init: { headers: Record<string, string>; body?: string },
    label = `${method} ${url}`,
  ): Promise<{ status: number; text: string }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await doFetch(url, {
        method,
        headers: init.headers,
        body: init.body,
        signal: controller.signal,
      });
      const text = await res.text();
      return { status: res.status, text };
    } catch (err) {
      if (controller.signal.aborted) {
        throw new OpenAdrError('timeout', `${label}: no answer within ${timeoutMs} ms`, {
          method,
          url,
          cause: err,
        });
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const code = cause?.code ?? (err as { code?: string }).code;
      const reason = code ?? cause?.message ?? (err as Error).message;
      const e = new OpenAdrError('network', `${label}: cannot reach the VTN (${reason})`, {
        method,
        url,
        cause: err,
      });
      (e as OpenAdrError & { code?: string }).code = code;
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  function parseJson(
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
        {
          method,
          url,
          status,
          body: text.slice(0, 500),
        },
      );
    }
  }

  // ---- tokens --------------------------------------------------------------------------------
  let cached: { token: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  let resolvedTokenUrl: string | undefined;

  async function tokenUrl(): Promise<string> {
    if (auth.type !== 'oauth2') throw new Error('anonymous client: no token URL');
    if (auth.tokenUrl) return new URL(auth.tokenUrl, `${baseUrl}/`).toString();
    if (resolvedTokenUrl) return resolvedTokenUrl;
    let found = `${baseUrl}/auth/token`;
    if (apiVersion === '3.1.0') {
      // 3.1 servers say where their token endpoint is; fall back to the conventional path.
      const url = `${baseUrl}/auth/server`;
      try {
        const res = await exchange('GET', url, { headers: { Accept: 'application/json' } });
        if (res.status >= 200 && res.status < 300) {
          const info = parseJson('GET', url, res.status, res.text) as { tokenURL?: unknown } | undefined;
          if (info && typeof info.tokenURL === 'string' && info.tokenURL)
            found = new URL(info.tokenURL, `${baseUrl}/`).toString();
        }
      } catch (err) {
        if (err instanceof OpenAdrError && err.kind !== 'parse') throw err;
      }
    }
    resolvedTokenUrl = found;
    return found;
  }

  async function fetchToken(): Promise<string> {
    if (auth.type !== 'oauth2') throw new Error('anonymous client: no token');
    const url = await tokenUrl();
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: auth.clientId,
      client_secret: auth.clientSecret,
    });
    if (auth.scope) form.set('scope', auth.scope);
    const startedAt = now();
    const res = await exchange('POST', url, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
    });
    if (res.status >= 500) {
      throw new OpenAdrError('http', `POST ${url}: token endpoint answered ${res.status}`, {
        method: 'POST',
        url,
        status: res.status,
        body: res.text.slice(0, 500),
      });
    }
    if (res.status < 200 || res.status >= 300) {
      let body: unknown = res.text;
      try {
        body = JSON.parse(res.text);
      } catch {
        // keep the text
      }
      const why = describeErrorBody(body) ?? `HTTP ${res.status}`;
      throw new OpenAdrError(
        'auth',
        `token request for client id "${auth.clientId}" refused (${res.status}: ${why})`,
        {
          method: 'POST',
          url,
          status: res.status,
          body,
        },
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
    const lifetimeMs =
      typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : undefined;
    const refreshAt =
      lifetimeMs === undefined
        ? Number.POSITIVE_INFINITY
        : startedAt + lifetimeMs - Math.min(refreshSkewMs, lifetimeMs * 0.1);
    cached = { token: body.access_token, refreshAt };
    return body.access_token;
  }

  function getToken(): Promise<string> {
    if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
    if (!inflight) {
      inflight = fetchToken().finally(() => {
        inflight = undefined;
      });
    }
    return inflight;
  }

  // ---- requests with retry -------------------------------------------------------------------
  function backoff(attempt: number): number {
    const step = Math.min(maxBackoffMs, backoffMs * 2 ** attempt);
    // "Equal jitter": at least half the step, so waits still grow, but clients spread out.
    return step / 2 + random() * (step / 2);
  }

  async function request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = `${baseUrl}${path}${buildQuery(opts.query as Record<string, unknown> | undefined)}`;
    const idempotent = opts.idempotent ?? method !== 'POST';
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    let refreshed = false;
    for (let attempt = 0; ;) {
      try {
        const headers: Record<string, string> = { Accept: 'application/json' };
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        let usedToken: string | undefined;
        if (auth.type === 'oauth2') {
          usedToken = await getToken();
          headers.Authorization = `Bearer ${usedToken}`;
        }
        const res = await exchange(method, url, { headers, body }, `${method} ${path}`);
        if ((res.status === 401 || res.status === 403) && usedToken !== undefined && !refreshed) {
          // The token may have expired early or been revoked: one fresh token, one retry.
          refreshed = true;
          if (cached?.token === usedToken) cached = undefined;
          continue;
        }
        if (res.status < 200 || res.status >= 300) {
          let errBody: unknown = res.text;
          try {
            errBody = JSON.parse(res.text);
          } catch {
            // keep text
          }
          const why = describeErrorBody(errBody);
          const kind = res.status === 401 || res.status === 403 ? 'auth' : 'http';
          const hint =
            kind === 'auth'
              ? auth.type === 'anonymous'
                ? ' (this server needs credentials)'
                : ' (token refused after a refresh)'
              : '';
          throw new OpenAdrError(
            kind,
            `${method} ${path}: VTN answered ${res.status}${why ? ` (${why})` : ''}${hint}`,
            {
              method,
              url,
              status: res.status,
              body: errBody,
            },
          );
        }
        const parsed = parseJson(method, url, res.status, res.text, `${method} ${path}`) as T;
        setHealth('ok');
        return parsed;
      } catch (err) {
        const retryable = err instanceof OpenAdrError && err.retryable;
        const refused = (err as { code?: string }).code === 'ECONNREFUSED';
        if (retryable && attempt < retries && (idempotent || refused)) {
          await sleep(backoff(attempt));
          attempt++;
          continue;
        }
        recordFailure(err);
        throw err;
      }
    }
  }

  // ---- typed operations ----------------------------------------------------------------------
  function expectArray(method: string, path: string, value: unknown): unknown[] {
    if (!Array.isArray(value)) {
      const err = new OpenAdrError(
        'parse',
        `${method} ${path}: expected a JSON array, got ${value === undefined ? 'an empty body' : typeof value}`,
        {
          method,
          url: `${baseUrl}${path}`,
          body: value,
        },
      );
      recordFailure(err);
      throw err;
    }
    return value;
  }
  function expectObject(method: string, path: string, value: unknown): unknown {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const err = new OpenAdrError(
        'parse',
        `${method} ${path}: expected a JSON object, got ${value === undefined ? 'an empty body' : Array.isArray(value) ? 'an array' : typeof value}`,
        {
          method,
          url: `${baseUrl}${path}`,
          body: value,
        },
      );
      recordFailure(err);
      throw err;
    }
    return value;
  }

  const list =
    <T>(path: string, norm: (raw: unknown) => T) =>
    async (query?: ListQuery): Promise<T[]> => {
      if (query?.limit !== undefined && (query.limit < 0 || query.limit > MAX_PAGE_SIZE)) {
        throw new Error(`limit must be between 0 and ${MAX_PAGE_SIZE}, got ${query.limit}`);
      }
      return expectArray('GET', path, await request('GET', path, { query })).map(norm);
    };
  const one =
    <T>(method: string, norm: (raw: unknown) => T) =>
    async (path: string, body?: unknown): Promise<T> =>
      norm(expectObject(method, path, await request(method, path, { body })));

  async function paginate<T>(
    fetchPage: (query: ListQuery) => Promise<T[]>,
    query: ListQuery = {},
    pageSize = MAX_PAGE_SIZE,
  ): Promise<T[]> {
    const limit = Math.max(1, Math.min(MAX_PAGE_SIZE, pageSize));
    const all: T[] = [];
    for (let skip = query.skip ?? 0, pages = 0; ; pages++) {
      if (pages >= 10000) throw new Error('pagination did not end after 10000 pages');
      const page = await fetchPage({ ...query, skip, limit });
      all.push(...page);
      // A short page is the last one. Some servers ignore `limit` and return everything at once:
      // a page larger than asked for is also the last.
      if (page.length < limit || page.length > limit) return all;
      skip += page.length;
    }
  }

  const getPrograms = list('/programs', normalizeProgram);
  const getEvents = list('/events', normalizeEvent);
  const getReports = list('/reports', normalizeReport);
  const getSubscriptions = list('/subscriptions', (r) => normalizeObject<Subscription>(r));
  const getVens = list('/vens', (r) => normalizeObject<Ven>(r));
  const resourcePath = (venID: string, resourceID?: string): string =>
    apiVersion === '3.1.0'
      ? `/resources${resourceID === undefined ? '' : `/${seg(resourceID)}`}`
      : `/vens/${seg(venID)}/resources${resourceID === undefined ? '' : `/${seg(resourceID)}`}`;

  const program = {
    get: one('GET', normalizeProgram),
    post: one('POST', normalizeProgram),
    put: one('PUT', normalizeProgram),
    del: one('DELETE', normalizeProgram),
  };
  const event = {
    get: one('GET', normalizeEvent),
    post: one('POST', normalizeEvent),
    put: one('PUT', normalizeEvent),
    del: one('DELETE', normalizeEvent),
  };
  const report = {
    get: one('GET', normalizeReport),
    post: one('POST', normalizeReport),
    put: one('PUT', normalizeReport),
    del: one('DELETE', normalizeReport),
  };
  const obj = <T>() => ({
    get: one('GET', (r) => normalizeObject<T>(r)),
    post: one('POST', (r) => normalizeObject<T>(r)),
    put: one('PUT', (r) => normalizeObject<T>(r)),
    del: one('DELETE', (r) => normalizeObject<T>(r)),
  });
  const sub = obj<Subscription>();
  const ven = obj<Ven>();
  const res = obj<Resource>();

  return {
    baseUrl,
    apiVersion,
    anonymous: auth.type === 'anonymous',
    clientId: auth.type === 'oauth2' ? auth.clientId : undefined,
    getPrograms,
    getAllPrograms: (q) => paginate(getPrograms, q),
    getProgram: (id) => program.get(`/programs/${seg(id)}`),
    createProgram: (p) => program.post('/programs', p),
    updateProgram: (id, p) => program.put(`/programs/${seg(id)}`, p),
    deleteProgram: (id) => program.del(`/programs/${seg(id)}`),
    getEvents,
    getAllEvents: (q) => paginate(getEvents, q),
    getEvent: (id) => event.get(`/events/${seg(id)}`),
    createEvent: (e) => event.post('/events', e),
    updateEvent: (id, e) => event.put(`/events/${seg(id)}`, e),
    deleteEvent: (id) => event.del(`/events/${seg(id)}`),
    getReports,
    getAllReports: (q) => paginate(getReports, q),
    getReport: (id) => report.get(`/reports/${seg(id)}`),
    createReport: (r) => report.post('/reports', r),
    updateReport: (id, r) => report.put(`/reports/${seg(id)}`, r),
    deleteReport: (id) => report.del(`/reports/${seg(id)}`),
    getSubscriptions,
    getAllSubscriptions: (q) => paginate(getSubscriptions, q),
    getSubscription: (id) => sub.get(`/subscriptions/${seg(id)}`),
    createSubscription: (s) => sub.post('/subscriptions', s),
    updateSubscription: (id, s) => sub.put(`/subscriptions/${seg(id)}`, s),
    deleteSubscription: (id) => sub.del(`/subscriptions/${seg(id)}`),
    getVens,
    getAllVens: (q) => paginate(getVens, q),
    getVen: (id) => ven.get(`/vens/${seg(id)}`),
    createVen: (v) => ven.post('/vens', v),
    updateVen: (id, v) => ven.put(`/vens/${seg(id)}`, v),
    deleteVen: (id) => ven.del(`/vens/${seg(id)}`),
    getResources: async (venID, q) => {
      const path = resourcePath(venID);
      const query = apiVersion === '3.1.0' ? { ...q, venID } : q;
      return expectArray('GET', path, await request('GET', path, { query })).map((r) =>
        normalizeObject<Resource>(r),
      );
    },
    getResource: (venID, id) => res.get(resourcePath(venID, id)),
    createResource: (venID, r) => res.post(resourcePath(venID), apiVersion === '3.1.0' ? { ...r, venID } : r),
    updateResource: (venID, id, r) => res.put(resourcePath(venID, id), r),
    deleteResource: (venID, id) => res.del(resourcePath(venID, id)),
    tokenUrl,
    getToken,
    invalidateToken: () => {
      cached = undefined;
    },
    request,
    paginate,
    health: () => ({ ...health }),
    onHealth: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
