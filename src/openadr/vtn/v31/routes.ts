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
import { bodyTo31, requestTo301, targetQueryPairs } from './convert';
import { targetHider } from './privacy';
import { bearerAuthenticator, jsonOnly } from '../request-guards';

type Json = Record<string, unknown>;

export interface Routes31Options {
  bodyLimit?: string;
  /** What GET /notifiers reports besides WEBHOOK (the MQTT binding, when a broker is configured). */
  notifiers?: () => Json;
  /** Topic names for GET /notifiers/mqtt/topics/...; undefined when there is no MQTT notifier. */
  mqttTopics?: (path: string, params: Record<string, string>, p: Principal) => Promise<Json | undefined>;
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
  const known301 = (kind: KindName): Set<string> =>
    new Set(Object.keys(schemas301[KINDS[kind].schema].properties ?? {}));

  const authenticate = bearerAuthenticator(auth);
  const requireJson = jsonOnly(options.bodyLimit);

  /** The stored owner of an object the service returned (the 3.1 clientID). */
  const view = async (kind: KindName, body: Json): Promise<Json> => {
    const type = KINDS[kind].type;
    const o: StoredObject | undefined = await service.store.get(type, String(body.id));
    return bodyTo31(type, body, o ? o.owner : null);
  };
  /** Target hiding applies to programs and events read by VENs. */
  const hider = async (kind: KindName, p: Principal, requested?: string[]): Promise<(o: Json) => Json> =>
    kind === 'programs' || kind === 'events' ? targetHider(service.store, p, requested) : (o) => o;

  const checkPath = (op: SpecOperation, req: Request): void => {
    if (op.validatePath && !op.validatePath({ ...req.params })) {
      const i = issues(op.validatePath.errors)[0];
      throw new VtnError(400, `${i.field}: ${i.message}`);
    }
  };

  const checkBody = (op: SpecOperation, body: unknown): Json => {
    if (op.validateBody && !op.validateBody(body)) {
      const i = issues(op.validateBody.errors)[0];
      throw new VtnError(400, `${i.field || 'request body'}: ${i.message}`);
    }
    return body as Json;
  };

  /** Turn a validated 3.1 request into the service's write: 3.0.1 body, extras, owner, parent. */
  const toWrite = async (
    kind: KindName,
    p: Principal,
    req31: Json,
    existing: Json | undefined,
  ): Promise<{ body: Json; extra: Json; owner?: string | null; parentID?: string }> => {
    const type = KINDS[kind].type;
    const { body, extra } = requestTo301(type, req31, known301(kind));
    let owner: string | null | undefined;
    let parentID: string | undefined;
    if (kind === 'vens' || kind === 'resources') {
      const bl = kind === 'vens' ? 'BL_VEN_REQUEST' : 'BL_RESOURCE_REQUEST';
      const venReq = kind === 'vens' ? 'VEN_VEN_REQUEST' : 'VEN_RESOURCE_REQUEST';
      if (p.role === 'VEN' && req31.objectType !== venReq)
        throw new VtnError(403, `objectType: a VEN client sends ${venReq}`);
      if (p.role === 'BL' && req31.objectType !== bl)
        throw new VtnError(
          400,
          `objectType: a BL client sends ${bl} (with the clientID the object belongs to)`,
        );
      // BL sets the owning clientID; a VEN owns what it writes and keeps the targets BL gave it.
      // Only BL grants targets: a VEN's write keeps what BL gave (and cannot add any).
      if (p.role === 'BL') owner = String(req31.clientID);
      else if (existing && existing.targets !== undefined) body.targets = existing.targets;
      else delete body.targets;
      if (kind === 'resources') {
        parentID = String(req31.venID);
        if (existing && existing.venID !== parentID)
          throw new VtnError(
            400,
            `venID: a resource cannot move to another ven (it belongs to ${String(existing.venID)})`,
          );
      }
    } else if (kind === 'reports') {
      // 3.1 reports name only the event; the 3.0.1 body needs its program.
      // Only "not there" is a 400; a database outage must stay a 503.
      const event = await service.get('events', p, String(req31.eventID)).catch((err: unknown) => {
        if (err instanceof VtnError && err.status === 404) return undefined;
        throw err;
      });
      if (!event) throw new VtnError(400, `eventID: no event with id ${String(req31.eventID)}`);
      body.programID = event.programID;
    }
    return { body, extra, owner, parentID };
  };

  const handlers = new Map<string, Map<string, Handler>>();
  const add = (op: SpecOperation, h: (req: Request, res: Response) => Promise<void>): void => {
    const p = expressPath(op.path);
    if (!handlers.has(p)) handlers.set(p, new Map());
    handlers.get(p)!.set(op.method, h);
  };

  for (const op of spec31.operations) {
    if (op.operationId === 'fetchToken') {
      add(op, (req, res) => tokenEndpoint(req, res, auth));
      continue;
    }
    if (op.operationId === 'getAuthServerInfo') {
      add(op, async (req, res) => {
        const base = `${req.protocol}://${req.get('host') ?? '127.0.0.1'}${req.baseUrl}`;
        res.json({ tokenURL: `${base}/auth/token` });
      });
      continue;
    }
    if (op.operationId === 'listAllNotifiers') {
      add(op, async (req, res) => {
        const p = authenticate(req);
        for (const s of op.scopes) requireScope31(p, s, op.operationId);
        res.json({ WEBHOOK: true, ...(options.notifiers?.() ?? {}) });
      });
      continue;
    }
    if (op.path.startsWith('/notifiers/mqtt/')) {
      add(op, async (req, res) => {
        const p = authenticate(req);
        checkPath(op, req);
        for (const s of op.scopes) requireScope31(p, s, op.operationId);
        const topics = options.mqttTopics
          ? await options.mqttTopics(op.path, req.params as Record<string, string>, p)
          : undefined;
        if (!topics) throw new VtnError(404, 'this VTN has no MQTT notifier configured');
        res.json(topics);
      });
      continue;
    }
    const target = KIND_OF_OPERATION[op.operationId];
    if (!target) continue;
    const { kind, action } = target;
    const idParam = KINDS[kind].idParam;
    add(op, async (req, res) => {
      const p = authenticate(req);
      checkPath(op, req);
      for (const s of op.scopes) requireScope31(p, s, op.operationId);
      const id = req.params[idParam] === undefined ? undefined : String(req.params[idParam]);
      if (action === 'list') {
        const query: Json = {};
        for (const name of op.queryParams) if (req.query[name] !== undefined) query[name] = req.query[name];
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
        const list = await service.list(kind, p, query, parentID);
        const hide = await hider(kind, p, requested);
        res.json(await Promise.all(list.map(async (b) => hide(await view(kind, b)))));
      } else if (action === 'get') {
        res.json((await hider(kind, p))(await view(kind, await service.get(kind, p, id!))));
      } else if (action === 'remove') {
        res.json(await view(kind, await service.remove(kind, p, id!)));
      } else {
        const req31 = checkBody(op, req.body);
        const existing = action === 'update' ? await service.get(kind, p, id!) : undefined;
        const w = await toWrite(kind, p, req31, existing);
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
          .json(owner !== undefined ? bodyTo31(type, written, owner) : await view(kind, written));
      }
    });
  }

  mountOperations(router, handlers, requireJson);
  return router;
}
