/**
 * The OpenADR 3.1.0 API over the same service and store as 3.0.1: one route per operation of the
 * 3.1.0 YAML, requests validated against that YAML, converted to the stored 3.0.1 shape (see
 * convert.ts), and answered in the 3.1.0 shape. Same ids, same rules, same privacy.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { OpenAdrSpec, SpecOperation } from '../../spec';
import { issues } from '../../spec';
import type { Principal, TokenAuthority } from '../auth';
import { KINDS, type KindName } from '../kinds';
import { VtnError } from '../problem';
import { mountOperations, tokenEndpoint, type Handler } from '../routes';
import type { VtnService } from '../service';
import type { StoredObject } from '../store/store';
import { bodyTo31, targetQueryPairs } from './convert';
import { writeFrom31 } from './write-request';
import { targetHider } from './privacy';
import { bearerAuthenticator, jsonOnly } from '../request-guards';
import { clientAddress } from '../client-address';
import {
  checkBodyLimits,
  checkQueryLimits,
  DEFAULT_VTN_LIMITS,
  type RequestQuota,
  type VtnLimits,
} from '../limits';

type Json = Record<string, unknown>;

export interface Routes31Options {
  bodyLimit?: string;
  limits?: VtnLimits;
  quota?: RequestQuota;
  /** Take the client address from the X-Forwarded-For entry a trusted proxy appended. */
  trustProxy?: boolean;
  /**
   * This API's advertised base URL for a request (public URL or the listener's own address):
   * where /auth/server points. Never built from the request's Host header.
   */
  baseUrl?: (req: Request) => string;
  /** What GET /notifiers reports besides WEBHOOK (the MQTT binding, when a broker is configured). */
  notifiers?: () => Json;
  /** Topic names for GET /notifiers/mqtt/topics/...; undefined when there is no MQTT notifier. */
  mqttTopics?: (path: string, params: Record<string, string>, p: Principal) => Promise<Json | undefined>;
  /** Programs (by name) readable without a token, with their untargeted events. */
  anonymousPrograms?: ReadonlySet<string>;
}

/** The service kind each 3.1.0 object operation works on. */
const KIND_OF_OPERATION: Record<
  string,
  { kind: KindName; action: 'list' | 'create' | 'get' | 'update' | 'remove' }
> = Object.fromEntries(
  Object.values(KINDS).flatMap((k) =>
    Object.entries(k.operations).map(([action, op]) => [
      op,
      { kind: k.name, action: action as 'list' | 'create' | 'get' | 'update' | 'remove' },
    ]),
  ),
);

const expressPath = (p: string): string => p.replace(/\{(\w+)\}/g, ':$1');

/** 3.1.0's read scopes are finer than the roles' 3.0.1 scopes: map them onto what a role has. */
function requireScope31(p: Principal, scope: string, operationId: string): void {
  const needed = scope === 'read_targets' || scope === 'read_ven_objects' ? 'read_all' : scope;
  if (scope === 'read_bl') {
    if (p.role === 'BL') return;
    throw new VtnError(403, `${operationId} needs scope read_bl, which a ${p.role} client does not have`);
  }
  if (!p.scopes.includes(needed))
    throw new VtnError(403, `${operationId} needs scope ${scope}, which a ${p.role} client does not have`);
}

/** What every 3.1.0 handler works with, built once per router. */
interface Api31 {
  service: VtnService;
  auth: TokenAuthority;
  options: Routes31Options;
  limits: VtnLimits;
  authenticate: ReturnType<typeof bearerAuthenticator>;
  /** The 3.0.1 schema's own fields of a kind (what a 3.1 request keeps in the stored body). */
  known301(kind: KindName): Set<string>;
}

type Handler31 = (req: Request, res: Response) => Promise<void>;
type ObjectAction = 'list' | 'create' | 'get' | 'update' | 'remove';

/** The stored owner of an object the service returned (the 3.1 clientID). */
async function view(api: Api31, kind: KindName, body: Json): Promise<Json> {
  const type = KINDS[kind].type;
  const o: StoredObject | undefined = await api.service.store.get(type, String(body.id));
  return bodyTo31(type, body, o ? o.owner : null);
}

/** Target hiding applies to programs and events read by VENs. */
async function hider(
  api: Api31,
  kind: KindName,
  p: Principal,
  requested?: string[],
): Promise<(o: Json) => Json> {
  return kind === 'programs' || kind === 'events' ? targetHider(api.service.store, p, requested) : (o) => o;
}

function checkPath(op: SpecOperation, req: Request): void {
  if (op.validatePath && !op.validatePath({ ...req.params })) {
    const i = issues(op.validatePath.errors)[0];
    throw new VtnError(400, `${i.field}: ${i.message}`);
  }
}

function checkBody(limits: VtnLimits, op: SpecOperation, body: unknown): Json {
  checkBodyLimits(body, limits); // before the schema walks every value
  if (op.validateBody && !op.validateBody(body)) {
    const i = issues(op.validateBody.errors)[0];
    throw new VtnError(400, `${i.field || 'request body'}: ${i.message}`);
  }
  return body as Json;
}

/** The handler of an operation that is not about a stored object (token, auth server, notifiers). */
function nonObjectHandler(api: Api31, op: SpecOperation): Handler31 | undefined {
  const { auth, options, authenticate } = api;
  if (op.operationId === 'fetchToken')
    return (req, res) => tokenEndpoint(req, res, auth, clientAddress(req, !!options.trustProxy));
  if (op.operationId === 'getAuthServerInfo')
    return async (req, res) => {
      const base =
        options.baseUrl?.(req) ??
        `http://${req.socket.localAddress ?? '127.0.0.1'}:${req.socket.localPort ?? ''}${req.baseUrl}`;
      res.json({ tokenURL: `${base}/auth/token` });
    };
  if (op.operationId === 'listAllNotifiers')
    return async (req, res) => {
      const p = authenticate(req);
      for (const s of op.scopes) requireScope31(p, s, op.operationId);
      res.json({ WEBHOOK: true, ...(options.notifiers?.() ?? {}) });
    };
  if (op.path.startsWith('/notifiers/mqtt/'))
    return async (req, res) => {
      const p = authenticate(req);
      checkPath(op, req);
      for (const s of op.scopes) requireScope31(p, s, op.operationId);
      const topics = options.mqttTopics
        ? await options.mqttTopics(op.path, req.params as Record<string, string>, p)
        : undefined;
      if (!topics) throw new VtnError(404, 'this VTN has no MQTT notifier configured');
      res.json(topics);
    };
  return undefined;
}

/** A list request: the query validated against the YAML, 3.1's targets as pairs, targets hidden. */
async function list31(
  api: Api31,
  op: SpecOperation,
  kind: KindName,
  p: Principal,
  req: Request,
): Promise<Json[]> {
  const query: Json = {};
  for (const name of op.queryParams) if (req.query[name] !== undefined) query[name] = req.query[name];
  checkQueryLimits(query, api.limits);
  if (op.validateQuery && !op.validateQuery(query)) {
    const i = issues(op.validateQuery.errors)[0];
    throw new VtnError(400, `${i.field.split(/[.[]/)[0] || 'query'}: ${i.message}`);
  }
  const requested =
    query.targets === undefined ? undefined : ([] as unknown[]).concat(query.targets).map(String);
  const pairs = targetQueryPairs(query.targets);
  delete query.targets;
  if (pairs) query.targetPairs = pairs;
  const parentID = kind === 'resources' && typeof query.venID === 'string' ? query.venID : undefined;
  const list = await api.service.list(kind, p, query, parentID);
  const hide = await hider(api, kind, p, requested);
  return Promise.all(list.map(async (b) => hide(await view(api, kind, b))));
}

/** A create or update: the 3.1 body validated, converted, written; answered in the 3.1 shape. */
async function write31(
  api: Api31,
  op: SpecOperation,
  kind: KindName,
  action: 'create' | 'update',
  p: Principal,
  id: string | undefined,
  req: Request,
  res: Response,
): Promise<void> {
  const { service } = api;
  const req31 = checkBody(api.limits, op, req.body);
  const existing = action === 'update' ? await service.get(kind, p, id!) : undefined;
  const w = await writeFrom31(service, api.known301(kind), kind, p, req31, existing);
  const written =
    action === 'create'
      ? await service.create(kind, p, w.body, w.parentID, undefined, { owner: w.owner, extra: w.extra })
      : await service.update(kind, p, id!, w.body, undefined, undefined, {
          owner: w.owner,
          extra: w.extra,
        });
  // The response's clientID is the owner just written (no second read needed).
  const type = KINDS[kind].type;
  const owner = w.owner !== undefined ? w.owner : action === 'create' ? p.clientID : undefined;
  res
    .status(action === 'create' ? 201 : 200)
    .json(owner !== undefined ? bodyTo31(type, written, owner) : await view(api, kind, written));
}

/** The handler of one object operation (list, create, get, update, delete of one kind). */
function objectHandler(api: Api31, op: SpecOperation, kind: KindName, action: ObjectAction): Handler31 {
  const { service } = api;
  const idParam = KINDS[kind].idParam;
  return async (req, res) => {
    const p = api.authenticate(req, kind);
    checkPath(op, req);
    for (const s of op.scopes) requireScope31(p, s, op.operationId);
    const id = req.params[idParam] === undefined ? undefined : String(req.params[idParam]);
    if (action === 'list') {
      res.json(await list31(api, op, kind, p, req));
    } else if (action === 'get') {
      res.json((await hider(api, kind, p))(await view(api, kind, await service.get(kind, p, id!))));
    } else if (action === 'remove') {
      res.json(await view(api, kind, await service.remove(kind, p, id!)));
    } else {
      await write31(api, op, kind, action, p, id, req, res);
    }
  };
}

export function apiRouter31(
  spec31: OpenAdrSpec,
  spec301: OpenAdrSpec,
  service: VtnService,
  auth: TokenAuthority,
  options: Routes31Options = {},
): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  const schemas301 = (spec301.document.components as { schemas: Record<string, { properties?: Json }> })
    .schemas;
  const authenticate = bearerAuthenticator(auth, {
    quota: options.quota,
    anonymousPrograms: options.anonymousPrograms,
  });
  const limits = options.limits ?? DEFAULT_VTN_LIMITS;
  const api: Api31 = {
    service,
    auth,
    options,
    limits,
    authenticate,
    known301: (kind) => new Set(Object.keys(schemas301[KINDS[kind].schema].properties ?? {})),
  };
  const requireJson = jsonOnly({
    limit: options.bodyLimit,
    venLimit: limits.venBodyBytes,
    maxDepth: limits.jsonDepth,
    principal: authenticate,
  });

  const handlers = new Map<string, Map<string, Handler>>();
  const add = (op: SpecOperation, h: Handler31): void => {
    const p = expressPath(op.path);
    if (!handlers.has(p)) handlers.set(p, new Map());
    handlers.get(p)!.set(op.method, h);
  };
  for (const op of spec31.operations) {
    const special = nonObjectHandler(api, op);
    if (special) {
      add(op, special);
      continue;
    }
    const target = KIND_OF_OPERATION[op.operationId];
    if (target) add(op, objectHandler(api, op, target.kind, target.action));
  }

  mountOperations(router, handlers, requireJson, authenticate);
  return router;
}
