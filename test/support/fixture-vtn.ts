/**
 * A small in-memory OpenADR 3 VTN for client and node tests (NOT the product VTN, which is
 * issue 3's openadr3-vtn node). It speaks enough of 3.0.1 (auth/token, programs, events,
 * reports, subscriptions, vens, resources; skip/limit paging) and can replay what real servers
 * do:
 *  - mode 'spec'       : clean 3.0.1 (uuid-like ids, ISO date-times with Z);
 *  - mode 'reference'  : the reference implementation's counter ids ("0", "1", …) and zone-less
 *                        createdDateTime such as "2026-02-18 21:40:18", no modificationDateTime;
 *  - mode 'openleadr'  : openleadr-rs's long-form durations (P0Y0M0DT1H0M0S);
 *  - mode 'price31'    : a 3.1.0 public price server: anonymous GETs, /auth/server, program
 *                        attributes, string targets, per-interval intervalPeriod.
 * Failure switches: failNext(n, status), badJsonNext(n), revokeTokens(), stop()/start() on the
 * same port (VTN down and back), delayNext(ms).
 */
import express, { NextFunction, Request, Response } from 'express';
import http from 'http';
import type { AddressInfo } from 'net';

export type FixtureMode = 'spec' | 'reference' | 'openleadr' | 'price31';

export interface FixtureVtnOptions {
  mode?: FixtureMode;
  /** Client id → secret. Empty/undefined with anonymous=true: no auth at all. */
  clients?: Record<string, string>;
  anonymous?: boolean;
  /** expires_in of issued tokens, seconds. Default 3600. */
  tokenLifetimeS?: number;
  /** The base path; default /openadr3/3.0.1 (or /openadr3/3.1.0 for price31). */
  basePath?: string;
  /** Largest page the server returns whatever `limit` says (default 50). */
  maxPage?: number;
  port?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  auth?: string;
  status: number;
}

type Obj = Record<string, unknown>;
type Collection = 'programs' | 'events' | 'reports' | 'subscriptions' | 'vens';
const OBJECT_TYPE: Record<Collection, string> = {
  programs: 'PROGRAM',
  events: 'EVENT',
  reports: 'REPORT',
  subscriptions: 'SUBSCRIPTION',
  vens: 'VEN',
};

export class FixtureVtn {
  readonly mode: FixtureMode;
  readonly basePath: string;
  readonly store: Record<Collection | 'resources', Obj[]> = {
    programs: [],
    events: [],
    reports: [],
    subscriptions: [],
    vens: [],
    resources: [],
  };
  readonly log: LoggedRequest[] = [];
  /** Webhook notifications sent to subscribers: callback URL, operation, object id, answer status. */
  readonly notifications: Array<{
    url: string;
    operation: string;
    objectID: unknown;
    status: number | string;
  }> = [];
  readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  tokenLifetimeS: number;
  tokensIssued = 0;
  private counter = 0;
  private failures: Array<{ status: number; body?: string; path?: string }> = [];
  private delays: number[] = [];
  private server?: http.Server;
  private sockets = new Set<import('net').Socket>();
  port = 0;
  private readonly app: express.Express;

  constructor(private readonly options: FixtureVtnOptions = {}) {
    this.mode = options.mode ?? 'spec';
    this.basePath = options.basePath ?? (this.mode === 'price31' ? '/openadr3/3.1.0' : '/openadr3/3.0.1');
    this.tokenLifetimeS = options.tokenLifetimeS ?? 3600;
    this.app = this.buildApp();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}${this.basePath}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      const server = http.createServer(this.app);
      server.on('connection', (s) => {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
      });
      server.once('error', reject);
      server.listen(this.port || this.options.port || 0, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
      this.server = server;
    });
    return this;
  }

  /** Close the port (VTN down); `start()` reopens it on the same port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `count` requests (to `path` only, when given) answer `status`. */
  failNext(
    count: number,
    status = 500,
    body = JSON.stringify({ title: 'Internal Server Error', status, detail: 'injected failure' }),
    path?: string,
  ): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, body, path });
  }
  badJsonNext(count: number): void {
    for (let i = 0; i < count; i++) this.failures.push({ status: 200, body: '{"this is": not json' });
  }
  delayNext(ms: number): void {
    this.delays.push(ms);
  }
  revokeTokens(): void {
    this.tokens.clear();
  }

  nextId(): string {
    const n = this.counter++;
    return this.mode === 'reference' ? String(n) : `${OBJECT_PREFIX}${n.toString(16).padStart(6, '0')}`;
  }

  stamp(): string {
    const iso = new Date().toISOString();
    // The reference implementation's zone-less stamps.
    return this.mode === 'reference' ? iso.slice(0, 19).replace('T', ' ') : iso;
  }

  /** Put an object straight into the store (test set-up), returning the stored copy. */
  seed(collection: Collection, obj: Obj): Obj {
    const stored: Obj = {
      ...obj,
      id: obj.id ?? this.nextId(),
      createdDateTime: obj.createdDateTime ?? this.stamp(),
      objectType: OBJECT_TYPE[collection],
    };
    if (this.mode !== 'reference' && !stored.modificationDateTime)
      stored.modificationDateTime = stored.createdDateTime;
    this.store[collection].push(stored);
    return stored;
  }

  /** Tell subscribers of `objectType` about an operation (fire and forget, like a VTN). */
  notify(objectType: string, operation: string, object: Obj): void {
    for (const sub of this.store.subscriptions) {
      if (
        sub.programID !== undefined &&
        object.programID !== undefined &&
        String(sub.programID) !== String(object.programID)
      )
        continue;
      for (const op of (sub.objectOperations as Array<Obj>) ?? []) {
        if (!(op.objects as string[]).includes(objectType)) continue;
        const url = String(op.callbackUrl);
        const record = { url, operation, objectID: object.id, status: 0 as number | string };
        this.notifications.push(record);
        fetch(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            ...(op.bearerToken ? { Authorization: `Bearer ${String(op.bearerToken)}` } : {}),
          },
          body: JSON.stringify({ objectType, operation, object }),
        }).then(
          (r) => (record.status = r.status),
          (e: Error) => (record.status = e.message),
        );
      }
    }
  }

  private render(collection: Collection | 'resources', obj: Obj): Obj {
    if (this.mode === 'openleadr')
      return JSON.parse(JSON.stringify(obj), (key, value) =>
        key === 'duration' && typeof value === 'string' ? longDuration(value) : value,
      ) as Obj;
    if (this.mode === 'price31' && collection === 'programs') {
      const { programLongName, retailerName, programType, ...rest } = obj;
      const attributes = [
        programLongName && { type: 'PROGRAM_LONG_NAME', values: [programLongName] },
        retailerName && { type: 'RETAILER_NAME', values: [retailerName] },
        programType && { type: 'PROGRAM_TYPE', values: [programType] },
      ].filter(Boolean);
      // Objects seeded already in the 3.1.0 shape keep their own attributes.
      return { ...rest, attributes: [...((obj.attributes as unknown[]) ?? []), ...attributes] };
    }
    return obj;
  }

  private buildApp(): express.Express {
    const app = express();
    const router = express.Router();
    app.use((req: Request, res: Response, next: NextFunction) => {
      const entry: LoggedRequest = {
        method: req.method,
        path: req.path.startsWith(this.basePath) ? req.path.slice(this.basePath.length) : req.path,
        query: req.query as Record<string, unknown>,
        auth: req.headers.authorization,
        status: 0,
      };
      this.log.push(entry);
      res.on('finish', () => (entry.status = res.statusCode));
      const delay = this.delays.shift();
      const rel = entry.path;
      const index = this.failures.findIndex((f) => f.path === undefined || f.path === rel);
      const failure = index >= 0 ? this.failures.splice(index, 1)[0] : undefined;
      const go = (): void => {
        if (failure) {
          res.status(failure.status).type('application/json').send(failure.body);
          return;
        }
        next();
      };
      if (delay) setTimeout(go, delay);
      else go();
    });
    app.use(express.json({ limit: '5mb' }));
    app.use(express.urlencoded({ extended: false }));

    router.get('/auth/server', (_req, res) => {
      if (this.mode !== 'price31') return void res.status(404).json({ title: 'Not Found' });
      res.json({ tokenURL: `${this.url}/auth/token` });
    });
    router.post('/auth/token', (req, res) => {
      const body = req.body as Obj;
      const clients = this.options.clients ?? {};
      if (body.grant_type !== 'client_credentials')
        return void res.status(400).json({ error: 'unsupported_grant_type' });
      const id = String(body.client_id ?? '');
      if (!id || clients[id] === undefined || clients[id] !== body.client_secret) {
        return void res
          .status(401)
          .json({ error: 'invalid_client', error_description: 'unknown client id or wrong secret' });
      }
      const token = `tok-${++this.tokensIssued}-${Math.random().toString(36).slice(2)}`;
      this.tokens.set(token, { clientId: id, expiresAt: Date.now() + this.tokenLifetimeS * 1000 });
      res.json({
        access_token: token,
        token_type: 'Bearer',
        expires_in: this.tokenLifetimeS,
        scope: 'read_all',
      });
    });

    router.use((req: Request, res: Response, next: NextFunction) => {
      const open = this.options.anonymous || (this.mode === 'price31' && req.method === 'GET');
      if (open) return next();
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      const t = m ? this.tokens.get(m[1]) : undefined;
      if (!t)
        return void res.status(m ? 403 : 401).json({
          title: m ? 'Forbidden' : 'Unauthorized',
          detail: m ? 'unknown token' : 'missing bearer token',
        });
      if (t.expiresAt <= Date.now())
        return void res.status(401).json({ title: 'Unauthorized', detail: 'token expired' });
      next();
    });

    const list = (collection: Collection, filters: string[]) => (req: Request, res: Response) => {
      let items = this.store[collection];
      for (const f of filters) {
        const v = req.query[f];
        if (typeof v === 'string') items = items.filter((o) => String(o[f]) === v);
      }
      const skip = Number(req.query.skip ?? 0);
      const limitParam = req.query.limit === undefined ? 50 : Number(req.query.limit);
      if (
        !Number.isInteger(skip) ||
        skip < 0 ||
        !Number.isInteger(limitParam) ||
        limitParam < 0 ||
        limitParam > 50
      ) {
        return void res.status(400).json({ title: 'Bad Request', detail: 'skip/limit out of range' });
      }
      const limit = Math.min(limitParam, this.options.maxPage ?? 50);
      res.json(items.slice(skip, skip + limit).map((o) => this.render(collection, o)));
    };
    const find = (collection: Collection, req: Request): Obj | undefined =>
      this.store[collection].find((o) => String(o.id) === req.params.id);
    const notFound = (res: Response, what: string): void =>
      void res.status(404).json({ title: 'Not Found', status: 404, detail: `${what} not found` });

    const crud = (collection: Collection, required: string[], filters: string[]) => {
      router.get(`/${collection}`, list(collection, filters));
      router.post(`/${collection}`, (req, res) => {
        const body = req.body as Obj;
        const missing = required.find((f) => body[f] === undefined);
        if (missing)
          return void res.status(400).json({ title: 'Bad Request', detail: `${missing} is required` });
        if (
          collection === 'programs' &&
          this.store.programs.some((p) => p.programName === body.programName)
        ) {
          return void res.status(409).json({ title: 'Conflict', detail: 'programName exists' });
        }
        const stored = this.seed(collection, {
          ...body,
          id: undefined,
          createdDateTime: undefined,
          modificationDateTime: undefined,
        });
        res.status(201).json(this.render(collection, stored));
        this.notify(OBJECT_TYPE[collection], 'POST', stored);
      });
      router.get(`/${collection}/:id`, (req, res) => {
        const o = find(collection, req);
        if (!o) return notFound(res, collection);
        res.json(this.render(collection, o));
      });
      router.put(`/${collection}/:id`, (req, res) => {
        const o = find(collection, req);
        if (!o) return notFound(res, collection);
        const body = req.body as Obj;
        for (const k of Object.keys(o)) if (!['id', 'createdDateTime', 'objectType'].includes(k)) delete o[k];
        Object.assign(o, { ...body, id: o.id, createdDateTime: o.createdDateTime, objectType: o.objectType });
        o.modificationDateTime =
          this.mode === 'reference' ? undefined : new Date(Date.now() + this.counter++).toISOString();
        if (this.mode === 'reference') delete o.modificationDateTime;
        res.json(this.render(collection, o));
        this.notify(OBJECT_TYPE[collection], 'PUT', o);
      });
      router.delete(`/${collection}/:id`, (req, res) => {
        const o = find(collection, req);
        if (!o) return notFound(res, collection);
        this.store[collection] = this.store[collection].filter((x) => x !== o);
        res.json(this.render(collection, o));
        this.notify(OBJECT_TYPE[collection], 'DELETE', o);
      });
    };
    crud('programs', ['programName'], []);
    crud('events', ['programID', 'intervals'], ['programID']);
    crud('reports', ['eventID', 'clientName', 'resources'], ['programID', 'eventID', 'clientName']);
    crud('subscriptions', ['clientName', 'objectOperations'], ['programID', 'clientName']);
    crud('vens', ['venName'], ['venName']);

    router.get('/vens/:venId/resources', (req, res) => {
      res.json(this.store.resources.filter((r) => r.venID === req.params.venId));
    });
    router.post('/vens/:venId/resources', (req, res) => {
      if (!this.store.vens.some((v) => String(v.id) === req.params.venId)) return notFound(res, 'ven');
      const stored = {
        ...(req.body as Obj),
        id: this.nextId(),
        venID: req.params.venId,
        createdDateTime: this.stamp(),
        objectType: 'RESOURCE',
      };
      this.store.resources.push(stored);
      res.status(201).json(stored);
    });

    app.use(this.basePath, router);
    app.use((_req: Request, res: Response) => void res.status(404).json({ title: 'Not Found' }));
    return app;
  }
}

const OBJECT_PREFIX = 'obj-';

/** PT1H → P0Y0M0DT1H0M0S (openleadr-rs style). */
export function longDuration(text: string): string {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m) return text;
  const [, y = '0', mo = '0', d = '0', h = '0', mi = '0', s = '0'] = m;
  return `P${y}Y${mo}M${d}DT${h}H${mi}M${s}S`;
}

export async function startFixtureVtn(options: FixtureVtnOptions = {}): Promise<FixtureVtn> {
  return new FixtureVtn(options).start();
}
