/**
 * The VTN's rules, independent of HTTP: server-set fields, validation against the YAML,
 * uniqueness, referential checks, VEN privacy, scopes, cascade rules, and the webhook
 * notifications each change causes (written to the outbox in the same transaction).
 * Both the Express routes and the Node-RED node's input call this.
 */
import crypto from 'crypto';
import { EventEmitter } from 'events';
import type { OpenAdrSpec } from '../spec';
import type { Principal, Role } from './auth';
import { ROLE_SCOPES } from './auth';
import { callbackUrlProblem, type CallbackPolicy } from './callback-policy';
import { KIND_BY_TYPE, KINDS, type Kind, type KindName } from './kinds';
import { VtnError } from './problem';
import { isoDurationToMs } from '../../time/duration';
import {
  type NewOutboxEntry,
  type ObjectType,
  ReferenceViolation,
  type StoredObject,
  UniqueViolation,
  type VtnStore,
} from './store/store';

export type Operation = 'POST' | 'PUT' | 'DELETE';

/** One change to one object, as notified to subscribers and sent out of the node. */
export interface Change {
  objectType: ObjectType;
  operation: Operation;
  object: Record<string, unknown>;
  /** Set on the object a caller changed directly (not on cascaded children) when it passed an origin. */
  origin?: string;
  /** True when another VTN instance on the same (shared) store made the change. */
  remote?: boolean;
  /** The owning clientID (3.1's clientID), null for objects the flow created. */
  owner?: string | null;
}

export interface ServiceOptions {
  /** Allow deleting a program with events (and an event with reports), deleting the children too. */
  cascadeDeletes?: boolean;
  /** Let BL clients delete reports (they can never create or change them). */
  blCanDeleteReports?: boolean;
  callbackPolicy: CallbackPolicy;
  /** The role of a configured client, for privacy-filtering its subscriptions' notifications. */
  roleOf(clientID: string): Role | undefined;
}

/**
 * What another API version (the 3.1.0 view) adds to a write: the owner it names (a BL creating a
 * ven for a VEN client), and fields the 3.0.1 schema does not have, kept on the stored object.
 */
export interface WriteOptions {
  owner?: string | null;
  extra?: Record<string, unknown>;
}

/** Renders one webhook notification for a subscription; undefined keeps the 3.0.1 shape. */
export type NotificationFormatter = (
  subscription: StoredObject,
  changed: StoredObject,
  operation: Operation,
) => string | undefined;

type Json = Record<string, unknown>;
type Target = { type?: unknown; values?: unknown };

const SERVER_FIELDS = new Set(['id', 'createdDateTime', 'modificationDateTime', 'objectType']);
const OPERATION_ALIASES: Record<string, string> = { GET: 'READ', POST: 'CREATE', PUT: 'UPDATE' };
const SUBSCRIBED_VERB: Record<Operation, string> = { POST: 'CREATE', PUT: 'UPDATE', DELETE: 'DELETE' };
const DEFAULT_LIMIT = 50;

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function targetPairs(targets: unknown): string[] {
  const out: string[] = [];
  if (!Array.isArray(targets)) return out;
  for (const t of targets as Target[]) {
    if (!isPlainObject(t) || !Array.isArray(t.values)) continue;
    for (const v of t.values) out.push(`${String(t.type)}\u0000${String(v)}`);
  }
  return out;
}

function hasTargets(body: Json): boolean {
  return Array.isArray(body.targets) && targetPairs(body.targets).length > 0;
}

/**
 * True when an event's time span covers `now`: from intervalPeriod.start (0001-01-01 means
 * "now") for the intervals' total duration, or to the latest end of an interval's own period;
 * an event without a usable start or duration counts as active.
 */
export function eventActiveAt(body: Json, now: number): boolean {
  const period = isPlainObject(body.intervalPeriod) ? body.intervalPeriod : {};
  const startText = typeof period.start === 'string' ? period.start : undefined;
  const start = startText === undefined || startText.startsWith('0001-01-01') ? now : Date.parse(startText);
  const intervals = Array.isArray(body.intervals) ? (body.intervals as Json[]) : [];
  let end = -Infinity;
  let open = false;
  const span = (from: number, duration: unknown, count: number): void => {
    if (typeof duration !== 'string' || /^P9999Y/.test(duration)) {
      open = true;
      return;
    }
    try {
      end = Math.max(end, from + isoDurationToMs(duration) * count);
    } catch {
      open = true; // years/months: no fixed length; treat as open rather than guess
    }
  };
  let ownPeriods = 0;
  for (const iv of intervals) {
    const ip = isPlainObject(iv) && isPlainObject(iv.intervalPeriod) ? iv.intervalPeriod : undefined;
    if (!ip) continue;
    ownPeriods++;
    const s =
      typeof ip.start === 'string' && !ip.start.startsWith('0001-01-01') ? Date.parse(ip.start) : start;
    span(s, ip.duration ?? period.duration, 1);
  }
  if (ownPeriods < intervals.length || intervals.length === 0)
    span(start, period.duration, Math.max(1, intervals.length));
  if (Number.isNaN(start) || start > now) return false;
  return open || now < end;
}

function nowIso(): string {
  return new Date().toISOString();
}

/**
 * What a list of each kind is computed from. Programs and events: the objects themselves, and, for
 * targeted ones, the VEN's identity (its ven and resource objects). Reports, vens, resources:
 * themselves (and a ven's resources). Subscriptions are never cached (deliveryStatus).
 */
export const LIST_DEPENDS: Record<KindName, ObjectType[]> = {
  programs: ['PROGRAM', 'EVENT', 'VEN', 'RESOURCE'],
  events: ['PROGRAM', 'EVENT', 'VEN', 'RESOURCE'],
  reports: ['REPORT'],
  subscriptions: ['SUBSCRIPTION'],
  vens: ['VEN', 'RESOURCE'],
  resources: ['VEN', 'RESOURCE'],
};

export class VtnService extends EventEmitter {
  private readonly properties = new Map<string, string[]>();
  /** Bumped on every committed change: lets readers cache what they built from the store. */
  version = 0;
  /** Set by the 3.1.0 view so its subscriptions hear in the 3.1.0 vocabulary. */
  formatNotification: NotificationFormatter | undefined;
  /**
   * Fields outside the 3.0.1 schema that a write keeps (set by the 3.1.0 view: 3.1-only data
   * stored beside the 3.0.1 fields, so a 3.0.1 client that echoes an object does not drop it).
   * Each checker returns why a value is unacceptable, or undefined.
   */
  extensionFields: Partial<Record<KindName, Record<string, (value: unknown) => string | undefined>>> = {};

  /**
   * The version readers cache against. A shared store (other processes write to it too) keeps
   * its own counter, so a page built here is not served after another instance's change.
   */
  currentVersion(): number | Promise<number> {
    if (!this.store.shared) return this.version;
    const known = this.store.knownVersions?.();
    if (known) return known.all;
    return this.store.changeVersion ? this.store.changeVersion() : this.version;
  }

  /** Per object type, the `version` of the last change that touched it (this process's writes). */
  private readonly typeVersions: Record<ObjectType, number> = {
    PROGRAM: 0,
    EVENT: 0,
    REPORT: 0,
    SUBSCRIPTION: 0,
    VEN: 0,
    RESOURCE: 0,
  };

  /**
   * The version a cached list of this kind is valid for: it moves only when a change touches a
   * type the list can depend on (LIST_DEPENDS), so report writes do not invalidate event polls.
   * With a shared store it comes from the database (reflecting every change committed before the
   * call, by any instance), hence the promise — or, in the store's 'notify' consistency, from what
   * its change listener has heard (no round trip; see VtnStore.knownVersions).
   */
  listVersion(kind: KindName): number | Promise<number> {
    const deps = LIST_DEPENDS[kind];
    if (this.store.shared) {
      const known = this.store.knownVersions?.();
      if (known) return Math.max(...deps.map((t) => known[t]));
      if (this.store.changeVersions)
        return this.store.changeVersions().then((v) => Math.max(...deps.map((t) => v[t])));
    }
    return Math.max(...deps.map((t) => this.typeVersions[t]));
  }

  /**
   * Reads every write repeats — the subscriptions a change may notify, the event a report names,
   * the program an event or subscription names — answered from memory while the version of their
   * type is unchanged (the versions the page cache uses, so the same guarantees: with 'strict' a
   * read shared by concurrent requests replaces two or three store reads per report). Only objects
   * that were found are kept: a miss always asks the store.
   */
  private readonly readCache = new Map<
    ObjectType,
    { version: number; list?: StoredObject[]; byId: Map<string, StoredObject> }
  >();

  private typeVersion(t: ObjectType): number | Promise<number> {
    if (!this.store.shared) return this.typeVersions[t];
    const known = this.store.knownVersions?.();
    if (known) return known[t];
    if (this.store.changeVersions) return this.store.changeVersions().then((v) => v[t]);
    return NaN; // a shared store that cannot tell: never equal, so never cached
  }

  private cacheEntry(t: ObjectType, version: number) {
    let e = this.readCache.get(t);
    if (!e || e.version !== version) {
      e = { version, byId: new Map() };
      this.readCache.set(t, e);
    }
    return e;
  }

  private async cachedGet(t: ObjectType, id: string): Promise<StoredObject | undefined> {
    const version = await this.typeVersion(t);
    const e = this.cacheEntry(t, version);
    const hit = e.byId.get(id);
    if (hit && !Number.isNaN(version)) return hit;
    // Read after the version: a change meanwhile leaves the entry stale at once, never old data
    // under a new version.
    const o = await this.store.get(t, id);
    if (o && this.readCache.get(t) === e) {
      if (e.byId.size >= 10_000) e.byId.clear();
      e.byId.set(id, o);
    }
    return o;
  }

  private async cachedList(t: ObjectType): Promise<StoredObject[]> {
    const version = await this.typeVersion(t);
    const e = this.cacheEntry(t, version);
    if (e.list && !Number.isNaN(version)) return e.list;
    const list = await this.store.list({ type: t });
    if (this.readCache.get(t) === e) e.list = list;
    return list;
  }

  constructor(
    readonly store: VtnStore,
    readonly spec: OpenAdrSpec,
    readonly options: ServiceOptions,
  ) {
    super();
    const schemas = (spec.document.components as { schemas: Record<string, { properties?: Json }> }).schemas;
    for (const kind of Object.values(KINDS))
      this.properties.set(kind.name, Object.keys(schemas[kind.schema].properties ?? {}));
  }

  // ---- scopes and privacy -------------------------------------------------------------------

  requireScope(p: Principal, scope: string, operationId: string): void {
    if (p.scopes.includes(scope)) return;
    if (operationId === 'deleteReport' && p.role === 'BL' && this.options.blCanDeleteReports) return;
    throw new VtnError(403, `${operationId} needs scope ${scope}, which a ${p.role} client does not have`);
  }

  /** The (type, value) pairs that target this VEN client: its vens' and resources' names and targets. */
  private async identity(clientID: string): Promise<Set<string>> {
    const ids = new Set<string>();
    const vens = await this.store.list({ type: 'VEN', owner: clientID });
    for (const ven of vens) {
      ids.add(`VEN_NAME\u0000${String(ven.body.venName)}`);
      targetPairs(ven.body.targets).forEach((x) => ids.add(x));
      for (const r of await this.store.list({ type: 'RESOURCE', scope: ven.id })) {
        ids.add(`RESOURCE_NAME\u0000${String(r.body.resourceName)}`);
        targetPairs(r.body.targets).forEach((x) => ids.add(x));
      }
    }
    return ids;
  }

  /** A visibility test for one principal, loading what it needs only once and only if needed. */
  private visibility(p: Principal): (o: StoredObject) => Promise<boolean> {
    if (p.role === 'BL') return async () => true;
    const clientID = p.clientID ?? '';
    let ids: Set<string> | undefined;
    const venOwner = new Map<string, boolean>();
    return async (o) => {
      switch (o.type) {
        case 'PROGRAM':
        case 'EVENT': {
          if (!o.targeted) return true;
          ids ??= await this.identity(clientID);
          return targetPairs(o.body.targets).some((x) => ids!.has(x));
        }
        case 'RESOURCE': {
          let owned = venOwner.get(o.scope);
          if (owned === undefined) {
            owned = (await this.store.get('VEN', o.scope))?.owner === clientID;
            venOwner.set(o.scope, owned);
          }
          return owned;
        }
        default:
          return o.owner === clientID;
      }
    };
  }

  /** Whether a configured client may read this object (for per-VEN MQTT topics). */
  async visibleTo(clientID: string, o: StoredObject): Promise<boolean> {
    const p = this.principalOf(clientID);
    return p ? this.visibility(p)(o) : false;
  }

  private principalOf(clientID: string | null): Principal | undefined {
    if (clientID === null) return undefined;
    const role = this.options.roleOf(clientID);
    return role ? { clientID, role, scopes: ROLE_SCOPES[role] } : undefined;
  }

  // ---- reads ----------------------------------------------------------------------------------

  private async parent(p: Principal, kind: Kind, parentID: string | undefined): Promise<void> {
    // Without a parentID (3.1.0's top-level /resources) visibility alone decides.
    if (kind.name !== 'resources' || parentID === undefined) return;
    const ven = parentID === undefined ? undefined : await this.store.get('VEN', parentID);
    if (!ven || !(await this.visibility(p)(ven)))
      throw new VtnError(404, `venID: no ven with id ${parentID}`);
  }

  private async findVisible(p: Principal, kind: Kind, id: string, parentID?: string): Promise<StoredObject> {
    await this.parent(p, kind, parentID);
    const o = await this.store.get(kind.type, id);
    if (!o || (parentID !== undefined && o.scope !== parentID) || !(await this.visibility(p)(o)))
      throw new VtnError(404, `${kind.idParam}: no ${kind.schema} with id ${id}`);
    return o;
  }

  /** Decorate a subscription with its webhook delivery state (an extension field). */
  private async present(o: StoredObject): Promise<Json> {
    if (o.type !== 'SUBSCRIPTION') return o.body;
    const s = await this.store.deliverySummary(o.id);
    const state = s.dead > 0 ? 'dead' : s.pending > 0 && s.lastError ? 'retrying' : 'ok';
    return { ...o.body, deliveryStatus: { state, ...s } };
  }

  async get(kindName: KindName, p: Principal, id: string, parentID?: string): Promise<Json> {
    const kind = KINDS[kindName];
    this.requireScope(p, 'read_all', kind.operations.get);
    return this.present(await this.findVisible(p, kind, id, parentID));
  }

  /** `query` has been validated (and coerced) against the operation's YAML parameters. */
  async list(kindName: KindName, p: Principal, query: Json, parentID?: string): Promise<Json[]> {
    const kind = KINDS[kindName];
    this.requireScope(p, 'read_all', kind.operations.list);
    await this.parent(p, kind, parentID);
    const skip = typeof query.skip === 'number' ? query.skip : 0;
    const limit = typeof query.limit === 'number' ? query.limit : DEFAULT_LIMIT;
    if (limit === 0) return [];
    const scope =
      kind.name === 'resources'
        ? parentID
        : typeof query.programID === 'string'
          ? query.programID
          : undefined;
    const base = {
      type: kind.type,
      scope: kind.scopeField || kind.name === 'resources' ? scope : undefined,
      ref: kind.name === 'reports' && typeof query.eventID === 'string' ? query.eventID : undefined,
      owner:
        p.role === 'VEN' && ['REPORT', 'SUBSCRIPTION', 'VEN'].includes(kind.type)
          ? (p.clientID ?? '')
          : undefined,
    };
    const visible = this.visibility(p);
    const byTarget = this.targetFilter(query);
    const activeAt = query.active === true ? Date.now() : undefined;
    const stringFilters = (['clientName', 'venName', 'resourceName'] as const).filter(
      (f) => typeof query[f] === 'string',
    );
    const objectsFilter = Array.isArray(query.objects) ? (query.objects as string[]) : undefined;
    const out: Json[] = [];
    let skipped = 0;
    // Keyset paging through the store in batches: a poll reads about one page, not every object.
    const batch = Math.min(500, Math.max(64, skip + limit));
    let afterSeq = 0;
    for (;;) {
      const rows = await this.store.list({ ...base, afterSeq, limit: batch });
      for (const o of rows) {
        afterSeq = o.seq ?? afterSeq;
        if (kind.name === 'programs' && typeof query.programID === 'string' && o.id !== query.programID)
          continue;
        if (stringFilters.some((f) => o.body[f] !== query[f])) continue;
        if (byTarget && !byTarget(o.body)) continue;
        if (activeAt !== undefined && !eventActiveAt(o.body, activeAt)) continue;
        if (objectsFilter && !this.subscribesTo(o.body, objectsFilter)) continue;
        if (!(await visible(o))) continue;
        if (skipped < skip) {
          skipped++;
          continue;
        }
        out.push(await this.present(o));
        if (out.length >= limit) return out;
      }
      if (rows.length < batch) break;
    }
    return out;
  }

  private subscribesTo(body: Json, objects: string[]): boolean {
    const ops = Array.isArray(body.objectOperations) ? (body.objectOperations as Json[]) : [];
    return ops.some(
      (oo) => Array.isArray(oo.objects) && (oo.objects as string[]).some((x) => objects.includes(x)),
    );
  }

  /** targetType + targetValues: an object matches when any of its targets matches (any-match). */
  private targetFilter(query: Json): ((body: Json) => boolean) | undefined {
    // 3.1.0's `targets` query, already as (type, value) pairs: any pair matches.
    if (Array.isArray(query.targetPairs)) {
      const wanted = new Set(
        (query.targetPairs as Array<[string, string]>).map(([t, v]) => `${t}\u0000${v}`),
      );
      return (body) => targetPairs(body.targets).some((x) => wanted.has(x));
    }
    const type = typeof query.targetType === 'string' ? query.targetType : undefined;
    const values = Array.isArray(query.targetValues)
      ? (query.targetValues as unknown[]).map(String)
      : undefined;
    if (type === undefined && values === undefined) return undefined;
    return (body) =>
      Array.isArray(body.targets) &&
      (body.targets as Target[]).some(
        (t) =>
          isPlainObject(t) &&
          (type === undefined || t.type === type) &&
          (values === undefined ||
            (Array.isArray(t.values) && t.values.some((v) => values.includes(String(v))))),
      );
  }

  // ---- writes ---------------------------------------------------------------------------------

  /** Keep only the schema's own fields (unknown extras are ignored), drop server-set ones, validate. */
  private prepare(kind: Kind, raw: unknown): Json {
    if (!isPlainObject(raw)) throw new VtnError(400, `request body must be a JSON ${kind.schema} object`);
    const body: Json = {};
    for (const key of this.properties.get(kind.name) ?? []) {
      if (SERVER_FIELDS.has(key) || !(key in raw)) continue;
      body[key] = raw[key];
    }
    if (kind.name === 'resources') delete body.venID;
    for (const [key, why] of Object.entries(this.extensionFields[kind.name] ?? {})) {
      if (!(key in raw)) continue;
      const problem = why(raw[key]);
      if (problem) throw new VtnError(400, `${key}: ${problem}`);
      body[key] = raw[key];
    }
    if (kind.name === 'subscriptions' && Array.isArray(body.objectOperations)) {
      // The seed's documents use HTTP verbs; the 3.0.1 YAML uses READ/CREATE/UPDATE/DELETE.
      body.objectOperations = (body.objectOperations as unknown[]).map((oo) =>
        isPlainObject(oo) && Array.isArray(oo.operations)
          ? {
              ...oo,
              operations: oo.operations.map((op) =>
                typeof op === 'string' ? (OPERATION_ALIASES[op.toUpperCase()] ?? op.toUpperCase()) : op,
              ),
            }
          : oo,
      );
    }
    const problems = this.spec.validateSchema(kind.schema, body);
    if (problems.length) {
      const first = problems[0];
      throw new VtnError(400, `${first.field || kind.schema}: ${first.message}`);
    }
    return body;
  }

  private async checkReferences(kind: Kind, p: Principal, body: Json, parentID?: string): Promise<void> {
    if (kind.name === 'events') {
      if (!(await this.cachedGet('PROGRAM', String(body.programID))))
        throw new VtnError(400, `programID: no program with id ${String(body.programID)}`);
    } else if (kind.name === 'reports') {
      const event = await this.cachedGet('EVENT', String(body.eventID));
      if (!event || !(await this.visibility(p)(event)))
        throw new VtnError(400, `eventID: no event with id ${String(body.eventID)}`);
      if (event.body.programID !== body.programID)
        throw new VtnError(
          400,
          `programID: ${String(body.programID)} is not the program of event ${event.id}`,
        );
    } else if (kind.name === 'subscriptions') {
      const ops = body.objectOperations as Json[];
      ops.forEach((oo, i) => {
        const why = callbackUrlProblem(String(oo.callbackUrl), this.options.callbackPolicy);
        if (why) throw new VtnError(400, `objectOperations[${i}].callbackUrl: ${why}`);
      });
    } else if (kind.name === 'resources') {
      await this.parent(p, kind, parentID);
    }
  }

  private stored(kind: Kind, body: Json, owner: string | null): StoredObject {
    const name = kind.nameField ? String(body[kind.nameField]) : null;
    const scope =
      kind.name === 'resources' ? String(body.venID) : kind.scopeField ? String(body[kind.scopeField]) : '';
    return {
      type: kind.type,
      id: String(body.id),
      owner,
      name,
      scope,
      ref: kind.name === 'reports' ? String(body.eventID) : '',
      targeted: hasTargets(body),
      body,
    };
  }

  private async commit(
    put: StoredObject[],
    removed: StoredObject[],
    operation: Operation,
    primary: StoredObject,
    origin: string | undefined,
  ): Promise<void> {
    const changed = operation === 'DELETE' ? removed : put;
    const notify = await this.notificationsFor(changed, operation);
    const changes: Change[] = changed.map((o) => ({
      objectType: o.type,
      operation,
      object: o.body,
      owner: o.owner,
      ...(origin !== undefined && o === primary ? { origin } : {}),
    }));
    try {
      await this.store.apply({
        put,
        remove: removed.map((r) => ({ type: r.type, id: r.id })),
        notify,
        ...(this.store.watchChanges ? { events: changes as unknown as Json[] } : {}),
      });
    } catch (err) {
      if (err instanceof UniqueViolation) {
        const what = KIND_BY_TYPE[err.type];
        throw new VtnError(409, `${what.nameField}: a ${what.schema} named ${err.objectName} already exists`);
      }
      if (err instanceof ReferenceViolation) throw new VtnError(409, `${err.field}: ${err.message}`);
      throw err;
    }
    this.version++;
    for (const o of [...put, ...removed]) this.typeVersions[o.type] = this.version;
    for (const c of changes) this.emit('change', c);
    if (notify.length) this.emit('notify', notify.length);
  }

  async create(
    kindName: KindName,
    p: Principal,
    raw: unknown,
    parentID?: string,
    origin?: string,
    write: WriteOptions = {},
  ): Promise<Json> {
    const kind = KINDS[kindName];
    this.requireScope(p, kind.writeScope, kind.operations.create);
    if (kind.name === 'resources') await this.parent(p, kind, parentID);
    const fields = { ...this.prepare(kind, raw), ...write.extra };
    await this.checkReferences(kind, p, fields, parentID);
    const now = nowIso();
    const body: Json = {
      id: crypto.randomUUID(),
      createdDateTime: now,
      modificationDateTime: now,
      objectType: kind.type,
      ...fields,
      ...(kind.name === 'resources' ? { venID: parentID } : {}),
    };
    const o = this.stored(kind, body, write.owner !== undefined ? write.owner : p.clientID);
    await this.commit([o], [], 'POST', o, origin);
    return this.present(o);
  }

  async update(
    kindName: KindName,
    p: Principal,
    id: string,
    raw: unknown,
    parentID?: string,
    origin?: string,
    write: WriteOptions = {},
  ): Promise<Json> {
    const kind = KINDS[kindName];
    this.requireScope(p, kind.writeScope, kind.operations.update);
    const existing = await this.findVisible(p, kind, id, parentID);
    const fields = { ...this.prepare(kind, raw), ...write.extra };
    await this.checkReferences(kind, p, fields, parentID);
    let modified = nowIso();
    // Keep modificationDateTime strictly increasing even within one millisecond.
    if (modified <= String(existing.body.modificationDateTime))
      modified = new Date(Date.parse(String(existing.body.modificationDateTime)) + 1).toISOString();
    const body: Json = {
      id: existing.id,
      createdDateTime: existing.body.createdDateTime,
      modificationDateTime: modified,
      objectType: kind.type,
      ...fields,
      ...(kind.name === 'resources' ? { venID: existing.scope } : {}),
    };
    const o = this.stored(kind, body, write.owner !== undefined ? write.owner : existing.owner);
    await this.commit([o], [], 'PUT', o, origin);
    return this.present(o);
  }

  async remove(
    kindName: KindName,
    p: Principal,
    id: string,
    parentID?: string,
    origin?: string,
  ): Promise<Json> {
    const kind = KINDS[kindName];
    this.requireScope(p, kind.writeScope, kind.operations.remove);
    const o = await this.findVisible(p, kind, id, parentID);
    const children: StoredObject[] = [];
    if (kind.name === 'programs' || kind.name === 'events') {
      const events = kind.name === 'programs' ? await this.store.list({ type: 'EVENT', scope: id }) : [];
      const reports: StoredObject[] = [];
      for (const e of kind.name === 'programs' ? events : [o])
        reports.push(...(await this.store.list({ type: 'REPORT', ref: e.id })));
      if ((events.length || reports.length) && !this.options.cascadeDeletes) {
        const what = events.length ? `${events.length} event(s)` : `${reports.length} report(s)`;
        throw new VtnError(409, `${kind.idParam}: ${kind.schema} ${id} still has ${what}; delete them first`);
      }
      children.push(...reports, ...events);
    } else if (kind.name === 'vens') {
      // A ven's resources belong to it alone: they go with it.
      children.push(...(await this.store.list({ type: 'RESOURCE', scope: id })));
    }
    const removed = [...children, o];
    await this.commit([], removed, 'DELETE', o, origin);
    return this.present(o);
  }

  // ---- notifications --------------------------------------------------------------------------

  private async notificationsFor(changed: StoredObject[], operation: Operation): Promise<NewOutboxEntry[]> {
    const subs = await this.cachedList('SUBSCRIPTION');
    if (!subs.length) return [];
    const entries: NewOutboxEntry[] = [];
    const programKnown = new Map<string, boolean>();
    for (const sub of subs) {
      const pid = String(sub.body.programID);
      if (!programKnown.has(pid)) programKnown.set(pid, !!(await this.cachedGet('PROGRAM', pid)));
      const owner = this.principalOf(sub.owner);
      const visible = owner ? this.visibility(owner) : async () => true;
      const subTargets = new Set(targetPairs(sub.body.targets));
      for (const stored of changed) {
        const obj = stored.body;
        const objectProgram = stored.type === 'PROGRAM' ? obj.id : obj.programID;
        // A subscription naming a stored program hears only about that program's objects;
        // any other programID (test tools use placeholders) hears about every program.
        if (programKnown.get(pid) && objectProgram !== undefined && objectProgram !== pid) continue;
        if (subTargets.size && hasTargets(obj) && !targetPairs(obj.targets).some((x) => subTargets.has(x)))
          continue;
        const matching = ((sub.body.objectOperations as Json[]) ?? []).filter(
          (oo) =>
            (oo.objects as string[]).includes(stored.type) &&
            (oo.operations as string[]).includes(SUBSCRIBED_VERB[operation]),
        );
        if (!matching.length) continue;
        if (owner && !(await visible(stored))) continue;
        const text =
          this.formatNotification?.(sub, stored, operation) ??
          JSON.stringify({ objectType: stored.type, operation, object: obj });
        for (const oo of matching)
          entries.push({
            subscriptionID: sub.id,
            callbackUrl: String(oo.callbackUrl),
            bearerToken: typeof oo.bearerToken === 'string' ? oo.bearerToken : null,
            body: text,
          });
      }
    }
    return entries;
  }

  async counts(): Promise<Record<ObjectType, number>> {
    const out = {} as Record<ObjectType, number>;
    for (const k of Object.values(KINDS)) out[k.type] = await this.store.count(k.type);
    return out;
  }
}
