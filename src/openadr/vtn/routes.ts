/**
 * The HTTP face of the VTN (Express 5): one route per YAML operation, generated from the spec.
 * Every error is a problem body; bad input is a 4xx, never a 500.
 */
import crypto from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import zlib from 'zlib';
import Negotiator from 'negotiator';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { OpenAdrSpec, SpecOperation } from '../spec';
import { issues } from '../spec';
import type { Principal, TokenAuthority } from './auth';
import { KINDS, type KindName } from './kinds';
import { problem, VtnError } from './problem';
import type { VtnService } from './service';
import { bearerAuthenticator, bearerToken, jsonOnly } from './request-guards';
import { StoreUnavailable } from './store/store';
import { clientAddress } from './client-address';
import {
  checkQueryLimits,
  DEFAULT_VTN_LIMITS,
  quotaError,
  type RequestQuota,
  type VtnLimits,
} from './limits';

export interface RouteOptions {
  bodyLimit?: string;
  limits?: VtnLimits;
  quota?: RequestQuota;
  /** Take the client address from the X-Forwarded-For entry a trusted proxy appended. */
  trustProxy?: boolean;
  /** Share the page cache with the HTTP server's fast path (see createVtn). */
  pageCache?: PageCache;
  /** Programs (by name) readable without a token, with their untargeted events. */
  anonymousPrograms?: ReadonlySet<string>;
}

/**
 * A serialized page and, once a client asked for it, its gzip form. One object serves every client
 * whose page has the same bytes: the VENs of a program mostly see the same events, so 100,000 of
 * them cost one body (and one compression per change), not 100,000.
 */
export interface PageBody {
  bytes: Buffer;
  gzip?: Buffer;
  /** The response headers for `bytes` (and `gzip`), built once: see PageCache.send. */
  head: PageHead;
  gzipHead?: PageHead;
}

/** Header names and values in one flat list, as `res.writeHead(status, list)` takes them. */
type PageHead = ReadonlyArray<string | number>;

/**
 * A page's headers, in the order they always went out (Content-Type, Vary, Content-Encoding when
 * gzipped, Content-Length). Built once per body: a poll answered from the cache then sends them
 * without a header object, header entries or a length per request (see PageCache.send).
 */
function pageHead(length: number, gzip: boolean): PageHead {
  return [
    'Content-Type',
    'application/json; charset=utf-8',
    'Vary',
    'Accept-Encoding',
    ...(gzip ? ['Content-Encoding', 'gzip'] : []),
    'Content-Length',
    length,
  ];
}

/** Smaller pages go out as they are: gzip's header and the work would not pay for themselves. */
const GZIP_MIN_BYTES = 1024;

/** Whether the client takes gzip (Accept-Encoding, q-values honoured; no header: no). */
function acceptsGzip(req: IncomingMessage): boolean {
  if (!req.headers['accept-encoding']) return false;
  return new Negotiator(req).encoding(['gzip', 'identity']) === 'gzip';
}

/**
 * Serialized list pages by client and full URL, each valid while the version of what its kind
 * depends on (`service.listVersion(kind)`) is unchanged. A VEN polls the same URL over and over;
 * a hit is answered without routing, validation, store reads or serialization, after the same
 * token check the route does. With a shared store the version comes from the database on every
 * request (shared by concurrent requests, see PostgresStore.changeVersions), so a change another
 * instance acknowledged before a poll arrived is never hidden by this instance's cache.
 */
export class PageCache {
  private readonly pages = new Map<string, { kind: KindName; version: number; body: PageBody }>();
  /** Page bodies by content hash, so equal pages share one (see PageBody). */
  private readonly bodies = new Map<string, PageBody>();
  /** Requests already looked up (the server's fast path and the router both ask): ask once. */
  private readonly checked = new WeakSet<IncomingMessage>();
  /** The store version a missed lookup read, reused by the route (one database read, not two). */
  private readonly versions = new WeakMap<IncomingMessage, { kind: KindName; version: number }>();

  constructor(
    private readonly service: VtnService,
    private readonly auth: TokenAuthority,
    /** Most pages kept (one per VEN and URL: room for every VEN of a large program). */
    private readonly maxPages = 50_000,
    /** Cached polls count against the client's quota like any request. */
    private readonly quota?: RequestQuota,
  ) {}

  static key(p: Principal, url: string): string {
    // Every anonymous reader sees the same (open programs and their untargeted events).
    return p.anonymous ? `anonymous|${url}` : `${p.role}|${p.clientID}|${url}`;
  }

  set(key: string, kind: KindName, version: number, bytes: Buffer): PageBody {
    if (this.pages.size >= this.maxPages) this.pages.clear();
    // Bodies of pages no longer cached linger until this bound: at most maxPages of them.
    if (this.bodies.size >= this.maxPages) this.bodies.clear();
    const hash = crypto.createHash('sha1').update(bytes).digest('base64');
    let body = this.bodies.get(hash);
    if (!body) {
      body = { bytes, head: pageHead(bytes.length, false) };
      this.bodies.set(hash, body);
    }
    this.pages.set(key, { kind, version, body });
    return body;
  }

  /** How many pages are cached and how many distinct bodies (and bytes) they share. */
  stats(): { pages: number; bodies: number; bytes: number } {
    let bytes = 0;
    for (const b of this.bodies.values()) bytes += b.bytes.length + (b.gzip?.length ?? 0);
    return { pages: this.pages.size, bodies: this.bodies.size, bytes };
  }

  /**
   * Answer a repeated GET from the cache; false (nothing sent) when it is not a valid hit.
   * With a shared store the version comes from the database, so the answer is a promise.
   */
  tryServe(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> {
    // Inside an Express router req.url is relative to the mount point; the key uses the full URL.
    const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
    if (req.method !== 'GET' || this.pages.size === 0 || !url || this.checked.has(req)) return false;
    const principal = this.reader(req);
    if (!principal) return this.passOn(req, false);
    const wait = this.quota?.spend(principal, req);
    if (wait !== undefined) return PageCache.sendError(res, quotaError(principal, wait));
    const served = this.serveHit(req, res, principal, url);
    if (served !== true) this.passOn(req, true);
    return served;
  }

  /**
   * The route takes this request: it must not look it up again, nor charge it twice. Only such
   * requests are remembered — a hit is answered and done, and two weak-set entries per poll were
   * a good part of the garbage a cached poll left beyond a bare server's.
   */
  private passOn(req: IncomingMessage, charged: boolean): false {
    this.checked.add(req);
    if (charged) this.quota?.markCharged(req);
    return false;
  }

  /** The caller when its bearer token is valid and reads lists; else the route answers. */
  private reader(req: IncomingMessage): Principal | undefined {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return undefined;
    let principal: Principal;
    try {
      principal = this.auth.verify(token);
    } catch {
      return undefined; // the route answers with the proper problem
    }
    return principal.scopes.includes('read_all') ? principal : undefined;
  }

  /** Send the cached page when it is still current; false when there is none or it is stale. */
  private serveHit(
    req: IncomingMessage,
    res: ServerResponse,
    principal: Principal,
    url: string,
  ): boolean | Promise<boolean> {
    const hit = this.pages.get(PageCache.key(principal, url));
    if (!hit) return false;
    const version = this.service.listVersion(hit.kind);
    if (typeof version === 'number') return version === hit.version && PageCache.send(req, res, hit.body);
    return version.then(
      (v) => {
        if (v === hit.version) return PageCache.send(req, res, hit.body);
        this.versions.set(req, { kind: hit.kind, version: v });
        return false;
      },
      () => false, // the database is unreachable: let the route answer (with a proper error)
    );
  }

  /** The version to cache a page built for this request under (read before the page is built). */
  versionFor(req: IncomingMessage, kind: KindName): number | Promise<number> {
    const known = this.versions.get(req);
    return known?.kind === kind ? known.version : this.service.listVersion(kind);
  }

  /** A problem answered from the fast path (outside Express). */
  static sendError(res: ServerResponse, err: VtnError): true {
    const body = JSON.stringify(err.toProblem());
    res.statusCode = err.status;
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
    return true;
  }

  /**
   * Send a page, gzipped (once per body, then reused) when the client takes it. The headers go
   * as the body's prebuilt list: on a fresh response Node writes them straight into the head,
   * where setHeader would build a header object and an entry per header on every poll — garbage
   * that, at thousands of polls a second, sets the pace of young-generation collections. Headers
   * an Express middleware already set stay (writeHead merges the list into them).
   */
  static send(req: IncomingMessage, res: ServerResponse, body: PageBody): true {
    if (body.bytes.length >= GZIP_MIN_BYTES && acceptsGzip(req)) {
      if (!body.gzip || !body.gzipHead) {
        body.gzip = zlib.gzipSync(body.bytes);
        body.gzipHead = pageHead(body.gzip.length, true);
      }
      // writeHead only reads the list; the cast drops the readonly its typing lacks.
      res.writeHead(200, body.gzipHead as Array<string | number>);
      res.end(body.gzip);
    } else {
      res.writeHead(200, body.head as Array<string | number>);
      res.end(body.bytes);
    }
    return true;
  }
}

function kindOf(op: SpecOperation): { kind: KindName; withId: boolean } | undefined {
  const segs = op.path.split('/').filter(Boolean);
  if (segs[0] === 'auth') return undefined;
  if (segs[0] === 'vens' && segs[2] === 'resources') return { kind: 'resources', withId: segs.length === 4 };
  return { kind: segs[0] as KindName, withId: segs.length === 2 };
}

const expressPath = (p: string): string => p.replace(/\{(\w+)\}/g, ':$1');

/** Problem bodies go out as application/json: the 3.0.1 YAML declares that media type for them. */
export function sendProblem(res: Response, err: VtnError): void {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  // Refused before its body was read (quota, token, size): close rather than take in the rest.
  if (res.req && !res.req.complete) res.setHeader('Connection', 'close');
  res.status(err.status).type('application/json').send(JSON.stringify(err.toProblem()));
}

/** Wrap an async handler so rejections reach the error handler (Express 5 does this too). */
export type Handler = (req: Request, res: Response) => Promise<void>;

export function apiRouter(
  spec: OpenAdrSpec,
  service: VtnService,
  auth: TokenAuthority,
  options: RouteOptions = {},
): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  const authenticate = bearerAuthenticator(auth, {
    quota: options.quota,
    anonymousPrograms: options.anonymousPrograms,
  });
  const limits = options.limits ?? DEFAULT_VTN_LIMITS;
  const requireJson = jsonOnly({
    limit: options.bodyLimit,
    venLimit: limits.venBodyBytes,
    maxDepth: limits.jsonDepth,
    principal: authenticate,
  });

  const byPath = new Map<string, Map<string, Handler>>();
  const pages = options.pageCache ?? new PageCache(service, auth, undefined, options.quota);
  router.use((req: Request, res: Response, next: NextFunction) => {
    const served = pages.tryServe(req, res);
    if (served === false) next();
    else if (served !== true) served.then((hit) => hit || next(), next);
  });
  const add = (op: SpecOperation, handler: Handler): void => {
    const p = expressPath(op.path);
    if (!byPath.has(p)) byPath.set(p, new Map());
    byPath.get(p)!.set(op.method, handler);
  };

  for (const op of spec.operations) {
    const k = kindOf(op);
    if (!k) {
      add(op, async (req, res) => tokenEndpoint(req, res, auth, clientAddress(req, !!options.trustProxy)));
      continue;
    }
    const kind = KINDS[k.kind];
    add(op, async (req, res) => {
      const principal = authenticate(req, k.kind);
      if (op.validatePath && !op.validatePath({ ...req.params })) {
        const i = issues(op.validatePath.errors)[0];
        throw new VtnError(400, `${i.field}: ${i.message}`);
      }
      for (const s of op.scopes) service.requireScope(principal, s, op.operationId);
      const parentID = k.kind === 'resources' ? String(req.params.venID) : undefined;
      const id = k.withId ? String(req.params[kind.idParam]) : undefined;
      if (op.method === 'get' && !id) {
        const query: Record<string, unknown> = {};
        for (const name of op.queryParams) if (req.query[name] !== undefined) query[name] = req.query[name];
        checkQueryLimits(query, limits);
        if (op.validateQuery && !op.validateQuery(query)) {
          const i = issues(op.validateQuery.errors)[0];
          throw new VtnError(400, `${i.field.split(/[.[]/)[0] || 'query'}: ${i.message}`);
        }
        // A VEN polls the same page over and over: serve the serialized page until something changes.
        // (Not subscriptions: their deliveryStatus changes without a commit.)
        const cacheable = k.kind !== 'subscriptions';
        const key = PageCache.key(principal, req.originalUrl);
        // Read the version before the list: a change committed meanwhile makes the entry stale
        // at once (the version moves on), never serves old data under a new version.
        const version = await pages.versionFor(req, k.kind);
        const bytes = Buffer.from(JSON.stringify(await service.list(k.kind, principal, query, parentID)));
        if (cacheable && (service.store.shared || version === service.listVersion(k.kind)))
          PageCache.send(req, res, pages.set(key, k.kind, version, bytes));
        else res.type('application/json').send(bytes);
      } else if (op.method === 'get') res.json(await service.get(k.kind, principal, id!, parentID));
      else if (op.method === 'post')
        res.status(201).json(await service.create(k.kind, principal, req.body, parentID));
      else if (op.method === 'put')
        res.json(await service.update(k.kind, principal, id!, req.body, parentID));
      else res.json(await service.remove(k.kind, principal, id!, parentID));
    });
  }

  mountOperations(router, byPath, requireJson, authenticate);
  return router;
}

/**
 * Mount one handler per path and method on `router`, the same way for every API version: the
 * token endpoint reads a form body, other POST/PUT a JSON body (`requireJson`); another method on
 * a known path is 405 with `Allow`, an unknown path 404 — both as problem bodies.
 */
export function mountOperations(
  router: Router,
  byPath: Map<string, Map<string, Handler>>,
  requireJson: (req: Request, res: Response, next: NextFunction) => void,
  authenticate: (req: Request) => Principal,
): void {
  const formBody = express.urlencoded({ extended: false, limit: '16kb', type: () => true });
  // Who is asking (and within quota) before a body is read: no parsing for strangers.
  const authFirst = (req: Request, _res: Response, next: NextFunction): void => {
    try {
      authenticate(req);
      next();
    } catch (err) {
      next(err);
    }
  };
  for (const [path, handlers] of byPath) {
    const route = router.route(path);
    const allow = [...handlers.keys()].map((m) => m.toUpperCase());
    for (const [method, handler] of handlers) {
      const middleware =
        method === 'post' && path === '/auth/token'
          ? [formBody]
          : method === 'post' || method === 'put'
            ? [authFirst, requireJson]
            : [];
      route[method as 'get' | 'post' | 'put' | 'delete'](...middleware, (req: Request, res: Response) =>
        handler(req, res),
      );
    }
    if (allow.includes('GET')) allow.push('HEAD');
    route.all((_req: Request, res: Response) => {
      res.setHeader('Allow', allow.join(', '));
      sendProblem(res, new VtnError(405, `method not allowed here; allowed: ${allow.join(', ')}`));
    });
  }
  router.use((req: Request, res: Response) =>
    sendProblem(res, new VtnError(404, `no such resource: ${req.path}`)),
  );
}

export async function tokenEndpoint(
  req: Request,
  res: Response,
  auth: TokenAuthority,
  address: string,
): Promise<void> {
  const oauthError = (status: number, error: string, description: string): void => {
    res.status(status).json({ error, error_description: description });
  };
  if (!req.is('application/x-www-form-urlencoded'))
    return oauthError(
      400,
      'invalid_request',
      'the body must be application/x-www-form-urlencoded (RFC 6749)',
    );
  const body = (req.body ?? {}) as Record<string, unknown>;
  let clientID = typeof body.client_id === 'string' ? body.client_id : undefined;
  let secret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
  const basic = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      // RFC 6749 §2.3.1: both parts are form-urlencoded inside the Basic credentials.
      try {
        clientID = decodeURIComponent(decoded.slice(0, colon));
        secret = decodeURIComponent(decoded.slice(colon + 1));
      } catch {
        return oauthError(400, 'invalid_request', 'the HTTP Basic credentials are not validly encoded');
      }
    }
  }
  if (body.grant_type === undefined) return oauthError(400, 'invalid_request', 'grant_type is missing');
  if (body.grant_type !== 'client_credentials')
    return oauthError(
      400,
      'unsupported_grant_type',
      `grant_type ${String(body.grant_type)} is not supported; use client_credentials`,
    );
  if (!clientID) return oauthError(400, 'invalid_request', 'client_id is missing');
  if (!secret) return oauthError(400, 'invalid_request', 'client_secret is missing');
  const token = auth.issue(clientID, secret, address);
  if (!token) {
    res.setHeader('WWW-Authenticate', 'Basic realm="openadr3-vtn"');
    return oauthError(401, 'invalid_client', 'unknown client_id or wrong client_secret');
  }
  res.setHeader('Cache-Control', 'no-store');
  res.json(token);
}

/** Express error handler: body-parser failures and VtnErrors become problem bodies. */
export function problemHandler(onUnexpected: (err: Error) => void = () => {}) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) return;
    if (err instanceof VtnError) return sendProblem(res, err);
    // The database is restarting or unreachable (the store has retried what was safe): say so,
    // and when to come back, rather than a 500 that reads like a bug.
    if (err instanceof StoreUnavailable)
      return sendProblem(
        res,
        new VtnError(503, err.message, { 'Retry-After': String(err.retryAfterSeconds) }),
      );
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed')
      return sendProblem(res, new VtnError(400, `request body: malformed JSON (${e.message})`));
    if (e.type === 'entity.too.large')
      return sendProblem(res, new VtnError(413, 'request body is larger than the limit'));
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
      return sendProblem(res, new VtnError(415, `request body: ${e.message}`));
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
      return sendProblem(res, new VtnError(e.status, `request: ${e.message ?? 'bad request'}`));
    onUnexpected(err as Error);
    res
      .status(500)
      .type('application/json')
      .send(JSON.stringify(problem(500, 'internal error; see the VTN log')));
  };
}
