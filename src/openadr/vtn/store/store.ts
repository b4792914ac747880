/**
 * What the VTN needs from storage. Written so a PostgreSQL store can implement it later: every
 * method is async, every write is one transaction that also records its webhook notifications
 * (the outbox), and uniqueness is the store's job (a unique index), not a read-then-write race.
 */
export type ObjectType = 'PROGRAM' | 'EVENT' | 'REPORT' | 'SUBSCRIPTION' | 'VEN' | 'RESOURCE';

export interface StoredObject {
  /** Creation order (assigned by the store; ignored on writes). */
  seq?: number;
  type: ObjectType;
  id: string;
  /** The clientID that created it (VEN privacy), null for objects created by the flow. */
  owner: string | null;
  /** Unique name within (type, scope): programName, venName, resourceName; null when not unique. */
  name: string | null;
  /** Parent key: programID for events/reports/subscriptions, venID for resources, '' otherwise. */
  scope: string;
  /** Secondary reference: eventID for reports, '' otherwise. */
  ref: string;
  /** True when the object has targets (so VEN visibility needs a closer look). */
  targeted: boolean;
  /** The OpenADR object exactly as returned to clients (shared: never mutate it). */
  body: Record<string, unknown>;
}

export type ChangeVersions = Record<ObjectType, number> & { all: number };

export interface ListQuery {
  type: ObjectType;
  scope?: string;
  ref?: string;
  name?: string;
  owner?: string;
  /** Keyset paging: only objects created after this sequence number, at most `limit` of them. */
  afterSeq?: number;
  limit?: number;
}

export type OutboxState = 'pending' | 'delivered' | 'dead';

export interface OutboxEntry {
  id: number;
  subscriptionID: string;
  callbackUrl: string;
  bearerToken: string | null;
  /** The notification JSON text, exactly as it will be POSTed. */
  body: string;
  attempts: number;
  nextAttemptAt: number;
  state: OutboxState;
  lastError: string | null;
  createdAt: number;
}

export type NewOutboxEntry = Pick<OutboxEntry, 'subscriptionID' | 'callbackUrl' | 'bearerToken' | 'body'>;

/** One atomic change: writes plus the notifications they cause. */
export interface ChangeSet {
  put?: StoredObject[];
  remove?: Array<{ type: ObjectType; id: string }>;
  notify?: NewOutboxEntry[];
  /** What happened, for the other instances of a shared store (their node outputs). */
  events?: Array<Record<string, unknown>>;
}

export class UniqueViolation extends Error {
  constructor(
    readonly type: ObjectType,
    readonly objectName: string,
  ) {
    super(`${type} name ${objectName} already exists`);
  }
}

/** A write that would leave a dangling reference (another instance deleted the parent, or added a child). */
export class ReferenceViolation extends Error {
  constructor(
    /** The field at fault: programID, eventID or venID. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The database cannot be reached right now (a restart, a network cut, no free connection in time).
 * The store has already retried what was safe to retry; the HTTP layer answers 503 + Retry-After.
 */
export class StoreUnavailable extends Error {
  constructor(
    message: string,
    /** True when a write may or may not have committed (the connection died during COMMIT). */
    readonly outcomeUnknown = false,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
    this.name = 'StoreUnavailable';
  }
}

/** Whether the store can reach its database, as last seen (shared stores report transitions). */
export interface StoreHealth {
  available: boolean;
  /** Why not, when unavailable. */
  error?: string;
  /** Since when (ms) it has been in this state. */
  since: number;
}

export interface DeliverySummary {
  pending: number;
  delivered: number;
  dead: number;
  lastError: string | null;
}

export interface VtnStore {
  readonly kind: string;
  /**
   * True when other VTN processes write to the same store (PostgreSQL): in-process caches must
   * then check `changeVersion()` instead of trusting a counter only this process bumps.
   */
  readonly shared?: boolean;
  /**
   * Hear when the database becomes unreachable and when it is back (shared stores only), so a
   * status can say so at once instead of at the next health check.
   */
  onHealth?(listener: (health: StoreHealth) => void): () => void;
  /** A counter every committed change bumps, kept by the store itself (shared stores only). */
  changeVersion?(): Promise<number>;
  /**
   * The counter and, per object type, its value at the last change that touched that type
   * (shared stores only). Answered from a read that started after the call, so it reflects every
   * change committed before the call (concurrent callers may share one such read).
   */
  changeVersions?(): Promise<ChangeVersions>;
  /**
   * The same versions as this process already knows them, without a database read, when the store
   * can vouch for them (PostgreSQL with `consistency: 'notify'` and its change listener live);
   * undefined means "ask changeVersions()". Such versions may lag a change another instance
   * committed a moment ago by the time its NOTIFY takes to arrive (bounded by a heartbeat read).
   */
  knownVersions?(): ChangeVersions | undefined;
  /**
   * Hear the `events` of changes committed by other instances (shared stores), in commit order.
   * Returns a function that stops listening.
   */
  watchChanges?(
    listener: (events: Array<Record<string, unknown>>) => void,
    /** Another instance queued webhook notifications (this one may deliver them). */
    onOutbox?: () => void,
  ): ChangeWatch;
  get(type: ObjectType, id: string): Promise<StoredObject | undefined>;
  /** In creation order (stable, so pages never overlap). */
  list(query: ListQuery): Promise<StoredObject[]>;
  count(type: ObjectType): Promise<number>;
  /** Apply all of it or none of it (throws UniqueViolation on a duplicate name). */
  apply(change: ChangeSet): Promise<void>;
  /** A setting that must survive restarts (the token signing secret). */
  getSetting(key: string): Promise<string | undefined>;
  /** Set only if absent; returns the value now stored (so two starts agree on one secret). */
  initSetting(key: string, value: string): Promise<string>;
  /**
   * Pending rows whose time has come. A shared store also claims them (for `claimMs`), so another
   * instance polling the same outbox does not deliver them too.
   */
  dueNotifications(now: number, limit: number, claimMs?: number): Promise<OutboxEntry[]>;
  markDelivered(id: number): Promise<void>;
  markFailed(id: number, error: string, nextAttemptAt: number, dead: boolean): Promise<void>;
  deliverySummary(subscriptionID?: string): Promise<DeliverySummary>;
  recentOutbox(limit: number): Promise<OutboxEntry[]>;
  /** Forget delivered notifications created before `before` (ms); returns how many went. */
  pruneDelivered(before: number): Promise<number>;
  close(): Promise<void>;
}

/** A running change watch: `ready` resolves once it knows where "now" is; `stop` ends it. */
export interface ChangeWatch {
  ready: Promise<void>;
  stop(): Promise<void>;
}
