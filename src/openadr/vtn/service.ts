/**
 * The VTN's rules, independent of HTTP: server-set fields, validation against the YAML,
 * uniqueness, referential checks, VEN privacy, scopes, cascade rules, and the webhook
 * notifications each change causes (written to the outbox in the same transaction).
 * Both the Express routes and the Node-RED node's input call this.
 *
 * The class orchestrates; each rule has its own module: write-body.ts (what a write stores),
 * visibility.ts and target-match.ts (who sees what), subscription-matching.ts (who hears about a
 * change), read-cache.ts (versions and repeated reads), event-activity.ts (the `active` filter).
 */
import crypto from 'crypto';
import { EventEmitter } from 'events';
import type { OpenAdrSpec } from '../spec';
import type { Principal, Role } from './auth';
import { ROLE_SCOPES } from './auth';
import { callbackUrlProblem, type CallbackPolicy } from './callback-policy';
import { instantOf } from '../../time/datetime';
import { eventActiveAt } from './event-activity';
import { KIND_BY_TYPE, KINDS, type Kind, type KindName } from './kinds';
import { VtnError } from './problem';
import type { VtnLimits } from './limits';
import { StoreReadCache } from './read-cache';
import {
  type ObjectType,
  ReferenceViolation,
  type StoredObject,
  UniqueViolation,
  type VtnStore,
} from './store/store';
import { notificationsFor, type NotificationFormatter, type Operation } from './subscription-matching';
import { queryTargetFilter, subscribesTo } from './target-match';
import { visibilityFor } from './visibility';
import {
  type ExtensionFields,
  onlyBlGrants,
  prepareBody,
  schemaProperties,
  storedObject,
} from './write-body';

export type { NotificationFormatter, Operation } from './subscription-matching';

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
  /** Bounds on what one write may carry (DEFAULT_VTN_LIMITS when absent). */
  limits?: VtnLimits;
  /** The role of a configured client, for privacy-filtering its subscriptions' notifications. */
  roleOf(clientID: string): Role | undefined;
  /** Programs (by name) an anonymous caller may read, with their untargeted events. */
  anonymousPrograms?: ReadonlySet<string>;
}

/**
 * What another API version (the 3.1.0 view) adds to a write: the owner it names (a BL creating a
 * ven for a VEN client), and fields the 3.0.1 schema does not have, kept on the stored object.
 */
export interface WriteOptions {
  owner?: string | null;
  extra?: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const DEFAULT_LIMIT = 50;

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
  private readonly properties: Map<string, string[]>;
  private readonly reads: StoreReadCache;
  /** Bumped on every committed change: lets readers cache what they built from the store. */
  version = 0;
  /** Set by the 3.1.0 view so its subscriptions hear in the 3.1.0 vocabulary. */
  formatNotification: NotificationFormatter | undefined;
  /**
   * Fields outside the 3.0.1 schema that a write keeps (set by the 3.1.0 view: 3.1-only data
   * stored beside the 3.0.1 fields, so a 3.0.1 client that echoes an object does not drop it).
   * Each checker returns why a value is unacceptable, or undefined.
   */
  extensionFields: ExtensionFields = {};

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

  /**
   * The version a cached list of this kind is valid for: it moves only when a change touches a
   * type the list can depend on (LIST_DEPENDS), so report writes do not invalidate event polls.
   * With a shared store it comes from the database (reflecting every change committed before the
   * call, by any instance), hence the promise — or, in the store's 'notify' consistency, from what
   * its change listener has heard (no round trip; see VtnStore.knownVersions).
   */
  listVersion(kind: KindName): number | Promise<number> {
    return this.reads.newestOf(LIST_DEPENDS[kind]);
  }

  constructor(
    readonly store: VtnStore,
    readonly spec: OpenAdrSpec,
    readonly options: ServiceOptions,
  ) {
    super();
    this.properties = schemaProperties(spec);
    this.reads = new StoreReadCache(store);
  }

  // ---- scopes and privacy -------------------------------------------------------------------

  requireScope(p: Principal, scope: string, operationId: string): void {
    if (p.scopes.includes(scope)) return;
    if (operationId === 'deleteReport' && p.role === 'BL' && this.options.blCanDeleteReports) return;
    throw new VtnError(403, `${operationId} needs scope ${scope}, which a ${p.role} client does not have`);
  }

  /** A visibility test for one principal, loading what it needs only once and only if needed. */
  private visibility(p: Principal): (o: StoredObject) => Promise<boolean> {
    return visibilityFor(this.store, this.options.anonymousPrograms ?? new Set(), p);
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
    const byTarget = queryTargetFilter(query);
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
        if (objectsFilter && !subscribesTo(o.body, objectsFilter)) continue;
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

  // ---- writes ---------------------------------------------------------------------------------

  private prepare(kind: Kind, raw: unknown): Json {
    const { spec, properties, extensionFields } = this;
    return prepareBody({ spec, properties, extensionFields, limits: this.options.limits }, kind, raw);
  }

  private async checkReferences(kind: Kind, p: Principal, body: Json, parentID?: string): Promise<void> {
    if (kind.name === 'events') {
      if (!(await this.reads.get('PROGRAM', String(body.programID))))
        throw new VtnError(400, `programID: no program with id ${String(body.programID)}`);
    } else if (kind.name === 'reports') {
      const event = await this.reads.get('EVENT', String(body.eventID));
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
    this.reads.changed([...put, ...removed], this.version);
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
    const fields = onlyBlGrants(kind, p, { ...this.prepare(kind, raw), ...write.extra }, undefined);
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
    const o = storedObject(kind, body, write.owner !== undefined ? write.owner : p.clientID);
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
    const fields = onlyBlGrants(kind, p, { ...this.prepare(kind, raw), ...write.extra }, existing);
    await this.checkReferences(kind, p, fields, parentID);
    let modified = nowIso();
    // Keep modificationDateTime strictly increasing even within one millisecond.
    if (modified <= String(existing.body.modificationDateTime))
      modified = new Date(instantOf(existing.body.modificationDateTime) + 1).toISOString();
    const body: Json = {
      id: existing.id,
      createdDateTime: existing.body.createdDateTime,
      modificationDateTime: modified,
      objectType: kind.type,
      ...fields,
      ...(kind.name === 'resources' ? { venID: existing.scope } : {}),
    };
    const o = storedObject(kind, body, write.owner !== undefined ? write.owner : existing.owner);
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

  private notificationsFor(changed: StoredObject[], operation: Operation) {
    return notificationsFor(
      {
        subscriptions: () => this.reads.list('SUBSCRIPTION'),
        programExists: async (id) => !!(await this.reads.get('PROGRAM', id)),
        principalOf: (clientID) => this.principalOf(clientID),
        visibility: (p) => this.visibility(p),
        format: this.formatNotification,
      },
      changed,
      operation,
    );
  }

  async counts(): Promise<Record<ObjectType, number>> {
    const out = {} as Record<ObjectType, number>;
    for (const k of Object.values(KINDS)) out[k.type] = await this.store.count(k.type);
    return out;
  }
}
