/**
 * The shared store: PostgreSQL through `pg`, for several VTN processes on one database.
 * Correctness between instances lives in the database, not in any one process:
 * - names are unique by a unique index and references by foreign keys, so two instances racing
 *   on one programName get one insert and one unique violation (→ 201 and 409);
 * - every change is one transaction that also writes its outbox rows and bumps a change counter
 *   (`vtn_changes`), so each instance's page cache can tell when another instance wrote;
 * - the outbox is claimed with `FOR UPDATE SKIP LOCKED` plus a claim deadline, so one pending
 *   notification is handed to one instance at a time, and to another only if that one died;
 * - the schema is created and migrated by the VTN itself (`vtn_migrations`), under an advisory
 *   lock so instances starting together migrate once.
 */
import crypto from 'crypto';
import pg from 'pg';
import {
  type ChangeVersions,
  type ChangeWatch,
  type ChangeSet,
  type DeliverySummary,
  type ListQuery,
  type ObjectType,
  type OutboxEntry,
  ReferenceViolation,
  type StoreHealth,
  type StoredObject,
  StoreUnavailable,
  UniqueViolation,
  type VtnStore,
} from './store';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Append only: a released migration is never edited, a change is a new version. */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'objects, settings, outbox',
    sql: `
CREATE TABLE objects (
  seq BIGSERIAL PRIMARY KEY,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  owner TEXT,
  name TEXT,
  scope TEXT NOT NULL DEFAULT '',
  ref TEXT NOT NULL DEFAULT '',
  targeted BOOLEAN NOT NULL DEFAULT false,
  -- text, not jsonb: the object goes back to clients exactly as stored (jsonb reorders keys)
  body TEXT NOT NULL,
  -- what scope and ref point at, derived from type, so foreign keys can check them
  parent_type TEXT GENERATED ALWAYS AS (
    CASE type WHEN 'EVENT' THEN 'PROGRAM' WHEN 'REPORT' THEN 'PROGRAM' WHEN 'RESOURCE' THEN 'VEN' END
  ) STORED,
  ref_type TEXT GENERATED ALWAYS AS (CASE WHEN type = 'REPORT' THEN 'EVENT' END) STORED,
  CONSTRAINT objects_type_id UNIQUE (type, id),
  CONSTRAINT objects_parent_fk FOREIGN KEY (parent_type, scope) REFERENCES objects (type, id),
  CONSTRAINT objects_ref_fk FOREIGN KEY (ref_type, ref) REFERENCES objects (type, id)
);
CREATE UNIQUE INDEX objects_name ON objects (type, scope, name) WHERE name IS NOT NULL;
CREATE INDEX objects_scope ON objects (type, scope, seq);
CREATE INDEX objects_ref ON objects (type, ref, seq);
CREATE INDEX objects_owner ON objects (type, owner, seq);
CREATE INDEX objects_parent ON objects (parent_type, scope);
CREATE INDEX objects_refd ON objects (ref_type, ref);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE outbox (
  id BIGSERIAL PRIMARY KEY,
  subscription_id TEXT NOT NULL,
  callback_url TEXT NOT NULL,
  bearer_token TEXT,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  last_error TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_subscription ON outbox (subscription_id, state);
`,
  },
  {
    version: 2,
    name: 'change counter and outbox claims for several instances',
    sql: `
CREATE TABLE vtn_changes (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO vtn_changes (id, version) VALUES (1, 0);
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;
`,
  },
  {
    version: 3,
    name: 'change log for LISTEN/NOTIFY between instances',
    sql: `
-- keyed by the change counter, which writers bump under one row lock: keys are in commit order
CREATE TABLE change_log (
  version BIGINT PRIMARY KEY,
  instance TEXT NOT NULL,
  events TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 4,
    name: 'change counter per object type (poll caches survive report writes)',
    sql: `
-- The counter value of the last change that touched each type: a cached events page stays valid
-- across report writes, which cannot change it.
ALTER TABLE vtn_changes
  ADD COLUMN program_v BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN event_v BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN report_v BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN subscription_v BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN ven_v BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN resource_v BIGINT NOT NULL DEFAULT 0;
UPDATE vtn_changes SET program_v = version, event_v = version, report_v = version,
  subscription_v = version, ven_v = version, resource_v = version;
`,
  },
];

const TYPE_COLUMNS: Record<ObjectType, string> = {
  PROGRAM: 'program_v',
  EVENT: 'event_v',
  REPORT: 'report_v',
  SUBSCRIPTION: 'subscription_v',
  VEN: 'ven_v',
  RESOURCE: 'resource_v',
};

/**
 * Bump the counter (and the per-type versions of the types this change touched), log the change's
 * events and NOTIFY, in one statement: every writer takes this one row lock and holds it until its
 * commit, so the fewer round trips between taking it and committing, the more writes per second.
 * The lock also makes version order commit order, which is what lets a listener trust versions.
 * $1 touched types, $2 instance, $3 events JSON or null, $4 the NOTIFY payload after the version.
 * Every change NOTIFYs (with or without events): in 'notify' consistency the NOTIFYs are how other
 * instances learn that their cached pages went stale.
 */
const BUMP_CTES = `v AS (
  UPDATE vtn_changes SET version = version + 1, ${Object.entries(TYPE_COLUMNS)
    .map(([t, c]) => `${c} = CASE WHEN '${t}' = ANY($1::text[]) THEN version + 1 ELSE ${c} END`)
    .join(', ')}
  WHERE id = 1 RETURNING version),
l AS (INSERT INTO change_log (version, instance, events) SELECT version, $2, $3 FROM v WHERE $3::text IS NOT NULL)
SELECT version, pg_notify('vtn_changes', version::text || ' ' || $4) AS n FROM v`;
const BUMP_SQL = `WITH ${BUMP_CTES}`;
const UPSERT =
  'INSERT INTO objects (type, id, owner, name, scope, ref, targeted, body) VALUES ($5, $6, $7, $8, $9, $10, $11, $12) ' +
  'ON CONFLICT (type, id) DO UPDATE SET owner = excluded.owner, name = excluded.name, scope = excluded.scope, ' +
  'ref = excluded.ref, targeted = excluded.targeted, body = excluded.body';
const OUTBOX_ROWS =
  'INSERT INTO outbox (subscription_id, callback_url, bearer_token, body, next_attempt_at, created_at) ' +
  'SELECT s, c, t, b, $13, $13 FROM unnest($14::text[], $15::text[], $16::text[], $17::text[]) AS x(s, c, t, b)';
/**
 * The common write — one object created or replaced, its notifications, the counter, the log —
 * as ONE autocommitted statement: one round trip, and the counter row lock is held only while the
 * statement finishes and commits, never across a network round trip.
 */
const SINGLE_PUT_SQL = `WITH o AS (${UPSERT} RETURNING 1), ob AS (${OUTBOX_ROWS} RETURNING 1), ${BUMP_CTES}`;

/**
 * The NOTIFY channel. Payload: "<version> <writer instance> <webhooks queued> <types touched,…|->"
 * then, when they fit, " <events JSON>": listeners then emit them without reading change_log (one
 * read per change per other instance, which grew with every instance added). Every change is in
 * change_log too, for events too big for a payload and for catching up after a lost connection.
 */
const CHANNEL = 'vtn_changes';
/** Events longer than this go by change_log only (PostgreSQL's NOTIFY payload limit is 8000 bytes). */
const INLINE_EVENTS_MAX = 7500;

/** Split a NOTIFY payload (see CHANNEL); `events` is undefined when they were not inlined. */
function parsePayload(payload: string): {
  version: number;
  writer: string | undefined;
  queued: number;
  types: string[] | undefined;
  events: string | undefined;
} {
  const fields: string[] = [];
  let at = 0;
  while (fields.length < 4) {
    const space = payload.indexOf(' ', at);
    if (space < 0) {
      fields.push(payload.slice(at));
      at = payload.length + 1;
      break;
    }
    fields.push(payload.slice(at, space));
    at = space + 1;
  }
  const [version, writer, queued, types] = fields;
  return {
    version: Number(version),
    writer,
    queued: Number(queued ?? 1), // an older VTN did not say: look
    // An older VTN's payload does not say what it touched: count it as touching everything.
    types: types === undefined ? undefined : types === '-' ? [] : types.split(','),
    events: at < payload.length ? payload.slice(at) : undefined,
  };
}

/** How long other instances can catch up on missed changes (e.g. across a listener reconnect). */
const CHANGE_LOG_KEEP = '1 hour';

/** Any number will do as long as it is this application's own (pg_advisory_xact_lock key). */
const MIGRATION_LOCK = 0x0ad3_0301;

interface ObjectRow {
  seq: string;
  type: ObjectType;
  id: string;
  owner: string | null;
  name: string | null;
  scope: string;
  ref: string;
  targeted: boolean;
  body: string;
}

interface OutboxRow {
  id: string;
  subscription_id: string;
  callback_url: string;
  bearer_token: string | null;
  body: string;
  attempts: number;
  next_attempt_at: string;
  state: OutboxEntry['state'];
  last_error: string | null;
  created_at: string;
}

function toOutbox(row: OutboxRow): OutboxEntry {
  return {
    id: Number(row.id),
    subscriptionID: row.subscription_id,
    callbackUrl: row.callback_url,
    bearerToken: row.bearer_token,
    body: row.body,
    attempts: row.attempts,
    nextAttemptAt: Number(row.next_attempt_at),
    state: row.state,
    lastError: row.last_error,
    createdAt: Number(row.created_at),
  };
}

function toObject(row: ObjectRow): StoredObject {
  let body: Record<string, unknown> | undefined;
  const text = row.body;
  return {
    seq: Number(row.seq),
    type: row.type,
    id: row.id,
    owner: row.owner,
    name: row.name,
    scope: row.scope,
    ref: row.ref,
    targeted: row.targeted,
    get body(): Record<string, unknown> {
      body ??= JSON.parse(text) as Record<string, unknown>;
      return body;
    },
  };
}

/** Accept postgres:// and postgresql:// URLs (what `createVtn({ store })` routes here). */
export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s.trim());
}

/** The URL without its password, for status pages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

const PG_ERROR_FIELD: Record<string, Record<string, string>> = {
  objects_parent_fk: { EVENT: 'programID', REPORT: 'programID', RESOURCE: 'venID' },
  objects_ref_fk: { REPORT: 'eventID' },
};

/** Socket errors that mean "the server is not there right now", not "the request is wrong". */
const TRANSIENT_SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/**
 * SQLSTATEs of a server going away or coming back: 57P01 admin_shutdown (pg_ctl stop/restart),
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up / shutting down), 53300
 * too_many_connections; class 08 is "connection exception".
 */
const TRANSIENT_SQLSTATE = new Set(['57P01', '57P02', '57P03', '53300']);
/** pg's own messages for a lost connection or a pool wait that timed out (they carry no code). */
const TRANSIENT_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|connection timeout|Client has encountered a connection error|Connection ended unexpectedly|not queryable/i;

/** True for failures that a later attempt may not have: the database restarting or unreachable. */
export function isTransientPgError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (!e) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (TRANSIENT_SOCKET.has(code) || TRANSIENT_SQLSTATE.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  if (err instanceof AggregateError) return err.errors.some(isTransientPgError); // connect to localhost: v4 and v6
  return typeof e.message === 'string' && TRANSIENT_MESSAGE.test(e.message);
}

/** 40P01 deadlock_detected, 40001 serialization_failure: the transaction was rolled back. */
function isRolledBack(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '40P01' || code === '40001';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface PostgresStoreOptions {
  /** Most connections this process opens (pg.Pool max). */
  poolSize?: number;
  /** Called with connection errors on idle clients (the pool replaces them). */
  onError?: (err: Error) => void;
  /**
   * How long one operation keeps retrying a transient failure (database restarting) before it
   * gives up with StoreUnavailable (default 3000 ms). Only reads, and writes that certainly did
   * not commit, are retried. While the database is known to be down, one attempt is made.
   */
  retryMs?: number;
  /** How long to wait for a connection (new or from the busy pool) before it counts as a failure. */
  connectTimeoutMs?: number;
  /**
   * How a cached poll page is checked against other instances' writes.
   * - 'strict' (default): every poll reads the change counters (one read shared by concurrent
   *   polls), so a change acknowledged by any instance before the poll arrived is always seen.
   * - 'notify': polls trust the counters this process's LISTEN connection keeps current (no read
   *   per poll: less CPU on both sides). A poll may miss a change another instance committed in
   *   the last few milliseconds (the NOTIFY's way here); a heartbeat read bounds that to
   *   `heartbeatMs` even if notifications stop arriving, and while the listener is not connected
   *   polls fall back to 'strict'. This process's own writes are seen at once either way.
   */
  consistency?: 'strict' | 'notify';
  /** 'notify' consistency: how often the counters are read anyway (default 1000 ms). */
  heartbeatMs?: number;
}

const OBJECT_TYPES = Object.keys(TYPE_COLUMNS) as ObjectType[];

function zeroVersions(): ChangeVersions {
  const v = { all: 0 } as ChangeVersions;
  for (const t of OBJECT_TYPES) v[t] = 0;
  return v;
}

/** Raise `into` to `from` field by field (versions only ever move forward). */
function mergeVersions(into: ChangeVersions, from: ChangeVersions): void {
  into.all = Math.max(into.all, from.all);
  for (const t of OBJECT_TYPES) into[t] = Math.max(into[t], from[t]);
}

/** Record that change `version` touched `types` (undefined: unknown, so all of them). */
function noteVersion(into: ChangeVersions, version: number, types: readonly string[] | undefined): void {
  into.all = Math.max(into.all, version);
  for (const t of types ?? OBJECT_TYPES)
    if (t in TYPE_COLUMNS) into[t as ObjectType] = Math.max(into[t as ObjectType], version);
}

export class PostgresStore implements VtnStore {
  readonly kind: string;
  readonly shared = true;
  private readonly pool: pg.Pool;
  private closed = false;
  /** Tells this process's change_log rows from other instances'. */
  private readonly instance = crypto.randomUUID();
  private readonly url: string;
  private readonly onError: (err: Error) => void;
  private readonly retryMs: number;
  private healthState: StoreHealth = { available: true, since: Date.now() };
  private readonly consistency: 'strict' | 'notify';
  private readonly heartbeatMs: number;
  /**
   * The counters as heard by the change listener plus this process's own writes; trusted for
   * polls only while `live` (listener connected and caught up, 'notify' consistency).
   */
  private readonly heard: ChangeVersions = zeroVersions();
  private live = false;
  private readonly healthListeners = new Set<(health: StoreHealth) => void>();

  private constructor(url: string, options: PostgresStoreOptions) {
    this.url = url;
    this.onError = options.onError ?? (() => {});
    this.retryMs = options.retryMs ?? 3000;
    this.consistency = options.consistency ?? 'strict';
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.kind = `postgres:${redactUrl(url)}`;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      // Never wait forever for a connection: a database host that stopped answering becomes a 503.
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      keepAlive: true,
    });
    // An idle client losing its connection (database restart) must not crash the process.
    this.pool.on('error', (err) => options.onError?.(err));
  }

  /** Whether the database was reachable at the last attempt. */
  get health(): StoreHealth {
    return this.healthState;
  }

  onHealth(listener: (health: StoreHealth) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  private setHealth(available: boolean, err?: unknown): void {
    if (available === this.healthState.available) return;
    this.healthState = available
      ? { available, since: Date.now() }
      : { available, since: Date.now(), error: (err as Error)?.message ?? String(err) };
    for (const l of this.healthListeners) l(this.healthState);
  }

  /**
   * Run `attempt` until it succeeds, fails for a reason a retry cannot fix (rethrown), or the
   * retry budget is spent on transient failures (StoreUnavailable). `attempt` must be safe to
   * repeat: a read, or a write that reports whether its COMMIT was sent (see apply).
   */
  private async withRetry<T>(what: string, attempt: () => Promise<T>, budgetMs = this.retryMs): Promise<T> {
    // While the database is known to be down every request would wait the whole budget; one try
    // answers at once, and the first one that succeeds marks the database up again.
    const deadline = Date.now() + (this.healthState.available ? budgetMs : 0);
    for (let n = 0; ; n++) {
      try {
        const result = await attempt();
        this.setHealth(true);
        return result;
      } catch (err) {
        if (err instanceof StoreUnavailable) {
          this.setHealth(false, err);
          throw err;
        }
        // A deadlock (a write against a cascade delete, say) was rolled back: run it again.
        const transient = isTransientPgError(err);
        if (!transient && !isRolledBack(err)) throw err;
        // Equal jitter, so requests that failed together do not come back together.
        const base = Math.min(1000, 50 * 2 ** n);
        const wait = base / 2 + Math.random() * (base / 2);
        if (this.closed || Date.now() + wait > deadline) {
          if (!transient) throw err;
          this.setHealth(false, err);
          throw new StoreUnavailable(`database unavailable (${what}): ${(err as Error).message}`);
        }
        await sleep(wait);
      }
    }
  }

  /** A read (idempotent): retried on transient failures. */
  private query<R extends pg.QueryResultRow>(
    what: string,
    config: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.withRetry(what, () =>
      typeof config === 'string' ? this.pool.query<R>(config, values) : this.pool.query<R>(config),
    );
  }

  /** Connect, create or migrate the schema, and return the store. */
  static async connect(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(url, options);
    try {
      await store.migrate();
    } catch (err) {
      await store.pool.end().catch(() => undefined);
      throw err;
    }
    return store;
  }

  /** Apply every migration not yet recorded in vtn_migrations, each in its own transaction. */
  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    const onLost = (): void => undefined; // the next statement fails and says why
    client.on('error', onLost);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS vtn_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM vtn_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      const newest = Math.max(0, ...done);
      const known = Math.max(...MIGRATIONS.map((m) => m.version));
      if (newest > known)
        throw new Error(
          `database schema is version ${newest}, newer than this VTN knows (${known}): upgrade the VTN`,
        );
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query(m.sql);
        await client.query('INSERT INTO vtn_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', onLost);
      client.release();
    }
  }

  /** The migrations applied to this database, oldest first. */
  async schemaVersions(): Promise<number[]> {
    const r = await this.query<{ version: number }>(
      'schema versions',
      'SELECT version FROM vtn_migrations ORDER BY version',
    );
    return r.rows.map((x) => x.version);
  }

  async changeVersion(): Promise<number> {
    const r = await this.query<{ version: string }>('change version', {
      name: 'vtn_change_version',
      text: 'SELECT version FROM vtn_changes WHERE id = 1',
    });
    return Number(r.rows[0]?.version ?? 0);
  }

  knownVersions(): ChangeVersions | undefined {
    return this.live ? this.heard : undefined;
  }

  private versionsInFlight: Promise<ChangeVersions> | undefined;
  private versionsNext: Promise<ChangeVersions> | undefined;

  /**
   * One read of the counters shared by every caller that asked before it was SENT: a read already
   * in flight may predate a commit acknowledged since, so later callers wait for the next read
   * (at most one in flight and one queued). A poll that hits the page cache thus costs a share of
   * one round trip, not one each, and still sees every change acknowledged before it arrived.
   */
  changeVersions(): Promise<ChangeVersions> {
    if (!this.versionsInFlight) return this.readVersions();
    this.versionsNext ??= this.versionsInFlight
      .catch(() => undefined)
      .then(() => {
        this.versionsNext = undefined;
        return this.readVersions();
      });
    return this.versionsNext;
  }

  private readVersions(): Promise<ChangeVersions> {
    const p = this.query<Record<string, string>>('change version', {
      name: 'vtn_change_versions',
      text: `SELECT version, ${Object.values(TYPE_COLUMNS).join(', ')} FROM vtn_changes WHERE id = 1`,
    }).then((r) => {
      const row = r.rows[0] ?? {};
      const v = { all: Number(row.version ?? 0) } as ChangeVersions;
      for (const [t, c] of Object.entries(TYPE_COLUMNS)) v[t as ObjectType] = Number(row[c] ?? 0);
      return v;
    });
    this.versionsInFlight = p;
    const clear = (): void => {
      if (this.versionsInFlight === p) this.versionsInFlight = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  async get(type: ObjectType, id: string): Promise<StoredObject | undefined> {
    const r = await this.query<ObjectRow>('get', {
      name: 'vtn_get',
      text: 'SELECT seq, type, id, owner, name, scope, ref, targeted, body FROM objects WHERE type = $1 AND id = $2',
      values: [type, id],
    });
    return r.rows[0] ? toObject(r.rows[0]) : undefined;
  }

  async list(q: ListQuery): Promise<StoredObject[]> {
    const values: unknown[] = [q.type];
    const where = ['type = $1'];
    const add = (column: string, op: string, v: unknown): void => {
      values.push(v);
      where.push(`${column} ${op} $${values.length}`);
    };
    if (q.scope !== undefined) add('scope', '=', q.scope);
    if (q.ref !== undefined) add('ref', '=', q.ref);
    if (q.name !== undefined) add('name', '=', q.name);
    if (q.owner !== undefined) add('owner', '=', q.owner);
    if (q.afterSeq !== undefined) add('seq', '>', q.afterSeq);
    let sql = `SELECT seq, type, id, owner, name, scope, ref, targeted, body FROM objects WHERE ${where.join(' AND ')} ORDER BY seq`;
    if (q.limit !== undefined) {
      values.push(q.limit);
      sql += ` LIMIT $${values.length}`;
    }
    const r = await this.query<ObjectRow>('list', sql, values);
    return r.rows.map(toObject);
  }

  async count(type: ObjectType): Promise<number> {
    const r = await this.query<{ n: string }>('count', 'SELECT COUNT(*) AS n FROM objects WHERE type = $1', [
      type,
    ]);
    return Number(r.rows[0].n);
  }

  /**
   * One transaction. Retried only while it certainly did not commit: a connection lost before
   * COMMIT was sent rolls the transaction back, so trying again cannot apply it twice. A connection
   * lost during COMMIT leaves the outcome unknown: that is reported (StoreUnavailable with
   * outcomeUnknown), never retried.
   */
  async apply(change: ChangeSet): Promise<void> {
    let committing = false;
    await this.withRetry('write', async () => {
      try {
        await this.applyOnce(change, () => (committing = true));
      } catch (err) {
        if (committing && isTransientPgError(err))
          throw new StoreUnavailable(
            `database connection lost while committing; the change may or may not have been applied (read it before trying again): ${(err as Error).message}`,
            true,
          );
        throw err;
      }
    });
  }

  private async applyOnce(change: ChangeSet, onCommit: () => void): Promise<void> {
    const client = await this.pool.connect();
    // A checked-out client has no listener of the pool's: a server shutdown arriving between two
    // statements would be an uncaught 'error' event. The next statement fails anyway and says so.
    let lost: Error | undefined;
    const onLost = (err: Error): void => void (lost = err);
    client.on('error', onLost);
    let current: StoredObject | { type: ObjectType; id: string } | undefined;
    let failed: unknown;
    let inTransaction = false;
    const put = change.put ?? [];
    const remove = change.remove ?? [];
    const notify = change.notify ?? [];
    const types = [...new Set([...put, ...remove].map((o) => o.type))];
    // The NOTIFY payload says who wrote it and whether it queued webhooks, so a listener can
    // ignore its own changes and look at the outbox only when there is something in it.
    const events = change.events?.length ? JSON.stringify(change.events) : null;
    const header = `${this.instance} ${notify.length} ${types.join(',') || '-'}`;
    const bumpArgs = [
      types,
      this.instance,
      events,
      events !== null && Buffer.byteLength(events) <= INLINE_EVENTS_MAX ? `${header} ${events}` : header,
    ];
    // Our own write is seen by our own next poll at once, without waiting for its NOTIFY.
    const committed = (r: pg.QueryResult<{ version: string }>): void =>
      noteVersion(this.heard, Number(r.rows[0]?.version ?? 0), types);
    try {
      if (put.length === 1 && remove.length === 0) {
        const o = put[0];
        current = o;
        onCommit(); // one autocommitted statement: once it is sent, the outcome is the server's
        const r = await client.query<{ version: string }>({
          name: 'vtn_put_one',
          text: SINGLE_PUT_SQL,
          values: [
            ...bumpArgs,
            o.type,
            o.id,
            o.owner,
            o.name,
            o.scope,
            o.ref,
            o.targeted,
            JSON.stringify(o.body),
            Date.now(),
            notify.map((n) => n.subscriptionID),
            notify.map((n) => n.callbackUrl),
            notify.map((n) => n.bearerToken),
            notify.map((n) => n.body),
          ],
        });
        committed(r);
        return;
      }
      await client.query('BEGIN');
      inTransaction = true;
      for (const r of remove) {
        current = r;
        await client.query('DELETE FROM objects WHERE type = $1 AND id = $2', [r.type, r.id]);
      }
      for (const o of put) {
        current = o;
        await client.query({
          name: 'vtn_upsert',
          text: UPSERT.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) - 4}`),
          values: [o.type, o.id, o.owner, o.name, o.scope, o.ref, o.targeted, JSON.stringify(o.body)],
        });
      }
      current = undefined;
      if (notify.length) {
        const now = Date.now();
        const values: unknown[] = [];
        const rows = notify.map((n) => {
          values.push(n.subscriptionID, n.callbackUrl, n.bearerToken, n.body, now);
          const b = values.length - 4;
          return `($${b}, $${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 4})`;
        });
        await client.query(
          `INSERT INTO outbox (subscription_id, callback_url, bearer_token, body, next_attempt_at, created_at) VALUES ${rows.join(', ')}`,
          values,
        );
      }
      // Last, so the one-row lock every writer takes is held only for the commit.
      const bumped = await client.query<{ version: string }>({
        name: 'vtn_bump',
        text: BUMP_SQL,
        values: bumpArgs,
      });
      onCommit();
      await client.query('COMMIT');
      committed(bumped);
    } catch (err) {
      failed = err;
      if (inTransaction && !isTransientPgError(err)) await client.query('ROLLBACK').catch(() => undefined);
      throw this.translate(err, current);
    } finally {
      client.off('error', onLost);
      // A client whose connection failed is dropped, not handed to the next request.
      const broken =
        lost ?? (failed !== undefined && isTransientPgError(failed) ? (failed as Error) : undefined);
      client.release(broken);
    }
  }

  /** Constraint violations become the store's own errors (409s), everything else passes through. */
  private translate(
    err: unknown,
    current: StoredObject | { type: ObjectType; id: string } | undefined,
  ): unknown {
    const e = err as { code?: string; constraint?: string; table?: string };
    if (e.code === '23505' && e.constraint === 'objects_name' && current && 'name' in current && current.name)
      return new UniqueViolation(current.type, current.name);
    if (e.code === '23503' && current) {
      const isDelete = !('body' in current);
      const field = PG_ERROR_FIELD[e.constraint ?? '']?.[current.type] ?? 'id';
      return isDelete
        ? new ReferenceViolation(
            'id',
            `${current.type.toLowerCase()} ${current.id} is still referenced (another client added to it meanwhile)`,
          )
        : new ReferenceViolation(
            field,
            `the object ${field} names no longer exists (another client deleted it meanwhile)`,
          );
    }
    return err;
  }

  async getSetting(key: string): Promise<string | undefined> {
    const r = await this.query<{ value: string }>('setting', 'SELECT value FROM settings WHERE key = $1', [
      key,
    ]);
    return r.rows[0]?.value;
  }

  async initSetting(key: string, value: string): Promise<string> {
    await this.query(
      'setting',
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
      [key, value],
    );
    return (await this.getSetting(key))!;
  }

  async dueNotifications(now: number, limit: number, claimMs = 60_000): Promise<OutboxEntry[]> {
    // Claim in one statement: rows another instance is claiming right now are skipped, not waited on.
    const r = await this.query<OutboxRow>(
      'outbox claim',
      `UPDATE outbox SET claimed_until = $3 WHERE id IN (
         SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1 AND claimed_until <= $1
         ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [now, limit, now + claimMs],
    );
    return r.rows.map(toOutbox).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
  }

  async markDelivered(id: number): Promise<void> {
    // Retried on a lost connection, so it must not count an attempt twice: only a row not yet
    // marked delivered is changed.
    await this.query(
      'outbox',
      "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, last_error = NULL, claimed_until = 0 WHERE id = $1 AND state <> 'delivered'",
      [id],
    );
  }

  async markFailed(id: number, error: string, nextAttemptAt: number, dead: boolean): Promise<void> {
    // Not retried (it counts an attempt): if it is lost, the claim runs out and the row is tried again.
    await this.withRetry(
      'outbox',
      () =>
        this.pool.query(
          'UPDATE outbox SET state = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3, claimed_until = 0 WHERE id = $4',
          [dead ? 'dead' : 'pending', error, nextAttemptAt, id],
        ),
      0,
    );
  }

  async deliverySummary(subscriptionID?: string): Promise<DeliverySummary> {
    const filter = subscriptionID === undefined ? '' : 'WHERE subscription_id = $1';
    const args = subscriptionID === undefined ? [] : [subscriptionID];
    const counts = await this.query<{ state: string; n: string }>(
      'outbox summary',
      `SELECT state, COUNT(*) AS n FROM outbox ${filter} GROUP BY state`,
      args,
    );
    const last = await this.query<{ last_error: string }>(
      'outbox summary',
      `SELECT last_error FROM outbox ${filter ? `${filter} AND` : 'WHERE'} last_error IS NOT NULL ORDER BY id DESC LIMIT 1`,
      args,
    );
    const by = (s: string): number => Number(counts.rows.find((c) => c.state === s)?.n ?? 0);
    return {
      pending: by('pending'),
      delivered: by('delivered'),
      dead: by('dead'),
      lastError: last.rows[0]?.last_error ?? null,
    };
  }

  async recentOutbox(limit: number): Promise<OutboxEntry[]> {
    const r = await this.query<OutboxRow>('outbox', 'SELECT * FROM outbox ORDER BY id DESC LIMIT $1', [
      limit,
    ]);
    return r.rows.map(toOutbox);
  }

  async pruneDelivered(before: number): Promise<number> {
    const r = await this.query(
      'outbox prune',
      "DELETE FROM outbox WHERE state = 'delivered' AND created_at < $1",
      [before],
    );
    return r.rowCount ?? 0;
  }

  /**
   * LISTEN on a connection of its own; a NOTIFY from another instance (or a reconnect) reads
   * change_log from the last version seen, so changes are heard in commit order and none is lost to
   * a dropped connection (within CHANGE_LOG_KEEP). This instance's own changes are skipped: it
   * emitted them itself, and their NOTIFYs (which name the writer) cost no query at all.
   * `onOutbox` hears when another instance queued webhooks (one of us may deliver them).
   * The NOTIFYs also keep `heard` current (the counters 'notify' consistency serves polls from);
   * it is trusted only from a counter read made after LISTEN took effect until the connection is
   * lost, and a heartbeat read both bounds its lag and notices a listener that went deaf.
   */
  watchChanges(
    listener: (events: Array<Record<string, unknown>>) => void,
    onOutbox?: () => void,
  ): ChangeWatch {
    let stopped = false;
    let client: pg.Client | undefined;
    let last: number | undefined;
    /** The highest version known committed (from any NOTIFY, our own included). */
    let known = 0;
    let reading = false;
    let again = false;
    let retry: NodeJS.Timeout | undefined;
    let catchUpRetry: NodeJS.Timeout | undefined;
    let soon: NodeJS.Immediate | undefined;
    /** The highest version a NOTIFY announced (the heartbeat's test of a live listener). */
    let notified = 0;
    /** Drop the current listener connection and reconnect (set while one is open). */
    let dropListener: ((err: Error) => void) | undefined;

    const catchUp = async (): Promise<void> => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          if (last === undefined) {
            last = await this.changeVersion();
            continue;
          }
          // Every version up to `upTo` had committed before this read was sent (its NOTIFY came,
          // and versions commit in order), so a complete read lets `last` move past our own rows
          // without fetching them.
          const upTo = known;
          const r = await this.query<{ version: string; events: string }>(
            'change log',
            'SELECT version, events FROM change_log WHERE version > $1 AND instance <> $2 ORDER BY version LIMIT 1000',
            [last, this.instance],
          );
          for (const row of r.rows) {
            last = Number(row.version);
            if (!stopped) listener(JSON.parse(row.events) as Array<Record<string, unknown>>);
          }
          if (r.rows.length === 1000) again = true;
          else last = Math.max(last, upTo);
        } while (again && !stopped);
      } catch (err) {
        if (!stopped) {
          this.onError(err as Error);
          // The log is still there: read it again soon rather than at the next NOTIFY, which
          // may never come.
          if (!catchUpRetry) {
            catchUpRetry = setTimeout(() => {
              catchUpRetry = undefined;
              void catchUp();
            }, 1000);
            catchUpRetry.unref();
          }
        }
      } finally {
        reading = false;
      }
    };

    /**
     * NOTIFYs arriving in one burst become one read (not one read each); no longer delay than
     * that, so a remote change is emitted before a local one that commits after it.
     */
    const catchUpSoon = (): void => {
      if (soon || stopped) return;
      soon = setImmediate(() => {
        soon = undefined;
        void catchUp();
      });
    };

    const onNotification = (payload: string | undefined): void => {
      const n = parsePayload(payload ?? '');
      const v = n.version;
      if (!Number.isFinite(v)) return catchUpSoon();
      known = Math.max(known, v);
      notified = Math.max(notified, v);
      noteVersion(this.heard, v, n.types);
      const ours = n.writer === this.instance;
      if (!ours && n.queued !== 0) onOutbox?.();
      if (last !== undefined && v <= last) return; // already emitted by a change_log read
      // NOTIFYs arrive in commit order and every version has one, so the next version with its
      // events inline is emitted as it is — unless a log read is pending or running (it would
      // emit earlier changes after this one), or a version is missing (read the log for it).
      if (last === undefined || v !== last + 1 || reading || soon || (!ours && n.events === undefined))
        return catchUpSoon();
      last = v;
      if (ours || stopped) return;
      let events: Array<Record<string, unknown>>;
      try {
        events = JSON.parse(n.events!) as Array<Record<string, unknown>>;
      } catch {
        last = v - 1;
        return catchUpSoon();
      }
      listener(events);
    };

    // Housekeeping, also for an instance alone (which never reads the log otherwise): forget old
    // changes, and move the read position past our own ones.
    const housekeeping = setInterval(() => {
      if (known > (last ?? Infinity)) catchUpSoon();
      void this.query(
        'change log prune',
        `DELETE FROM change_log WHERE created_at < now() - interval '${CHANGE_LOG_KEEP}'`,
      ).catch(() => undefined);
    }, 60_000);
    housekeeping.unref();

    // 'notify' consistency: read the counters anyway now and then. Merging them bounds how far
    // `heard` can lag; a version read at the previous beat that no NOTIFY has announced since
    // means the listener went deaf (a connection that died silently): reconnect it.
    let expected: number | undefined;
    const heartbeat =
      this.consistency === 'notify'
        ? setInterval(() => {
            if (!this.live || stopped) {
              expected = undefined;
              return;
            }
            this.readVersions().then(
              (v) => {
                if (!this.live || stopped) return;
                if (expected !== undefined && notified < expected) {
                  dropListener?.(
                    new Error(
                      `change listener heard no NOTIFY for committed version ${expected} within ${this.heartbeatMs} ms: reconnecting`,
                    ),
                  );
                  expected = undefined;
                  return;
                }
                expected = v.all;
                mergeVersions(this.heard, v);
              },
              () => undefined, // the database is down: the listener notices too
            );
          }, this.heartbeatMs)
        : undefined;
    heartbeat?.unref();

    const connect = async (delayMs: number): Promise<void> => {
      if (stopped) return;
      const c = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000, keepAlive: true });
      client = c;
      const reconnect = (err?: Error): void => {
        if (stopped || client !== c) return;
        // Until LISTEN is back, NOTIFYs can be missed: polls read the counters again.
        this.live = false;
        dropListener = undefined;
        client = undefined;
        if (err) this.onError(err);
        c.end().catch(() => undefined);
        // Short cap: a restarted database is usually back within seconds, and until the listener
        // is back other instances' changes reach this one only at the next NOTIFY after it.
        const next = Math.min(5000, Math.max(250, delayMs * 2));
        retry = setTimeout(() => void connect(next), next);
        retry.unref();
      };
      c.on('error', reconnect);
      c.on('end', () => reconnect());
      c.on('notification', (m) => onNotification(m.payload));
      dropListener = reconnect;
      try {
        await c.connect();
        await c.query(`LISTEN ${CHANNEL}`);
        delayMs = 125; // listening again: the next loss starts its backoff from the beginning
        if (this.consistency === 'notify') {
          // Everything committed before this read is in it, everything after will be NOTIFYed.
          mergeVersions(this.heard, await this.readVersions());
          if (client === c && !stopped) this.live = true;
        }
        onOutbox?.(); // webhooks queued while we were not listening
        await catchUp(); // anything committed while we were not listening
      } catch (err) {
        reconnect(err as Error);
      }
    };

    const ready = (async () => {
      await catchUp(); // start from now: earlier changes are not news
      await connect(500);
    })();

    return {
      // The starting point is read before createVtn resolves, so a change another instance
      // commits after that is never taken for history.
      ready: ready.catch(() => undefined),
      stop: async () => {
        stopped = true;
        this.live = false;
        clearInterval(housekeeping);
        if (heartbeat) clearInterval(heartbeat);
        if (retry) clearTimeout(retry);
        if (catchUpRetry) clearTimeout(catchUpRetry);
        if (soon) clearImmediate(soon);
        await ready.catch(() => undefined);
        const c = client;
        client = undefined;
        await c?.end().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
