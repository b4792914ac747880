/**
 * The shared store: PostgreSQL through `pg`, for several VTN processes on one database.
 * Correctness between instances lives in the database, not in any one process:
 * - names are unique by a unique index and references by foreign keys, so two instances racing
 *   on one programName get one insert and one unique violation (→ 201 and 409);
 * - every change is one transaction that also writes its outbox rows and bumps a change counter
 *   (`vtn_changes`), so each instance's page cache can tell when another instance wrote
 *   (pg/write.ts, pg/changes.ts);
 * - the outbox is claimed with `FOR UPDATE SKIP LOCKED` plus a claim deadline, so one pending
 *   notification is handed to one instance at a time, and to another only if that one died
 *   (pg/outbox.ts);
 * - the schema is created and migrated by the VTN itself (`vtn_migrations`), under an advisory
 *   lock so instances starting together migrate once (pg/migrate.ts);
 * - other instances' changes are heard through LISTEN/NOTIFY and the change log (pg/watcher.ts);
 * - a database that is away is retried, then reported (pg/retry.ts, pg/errors.ts).
 */
import crypto from 'crypto';
import pg from 'pg';
import type {
  ChangeSet,
  ChangeVersions,
  DeliverySummary,
  ListQuery,
  ObjectType,
  OutboxEntry,
  StoreHealth,
  StoredObject,
  VtnStore,
} from './store';
import { StoreUnavailable } from './store';
import { HeardVersions, type PgQuery, VersionReader } from './pg/changes';
import { isTransientPgError } from './pg/errors';
import { MIGRATIONS, migratePostgres } from './pg/migrate';
import { PgOutbox } from './pg/outbox';
import { PgRetry } from './pg/retry';
import { ChangeWatcher } from './pg/watcher';
import { writeChange } from './pg/write';

export { isTransientPgError, MIGRATIONS };
export type { Migration } from './migrate';

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

export class PostgresStore implements VtnStore {
  readonly kind: string;
  readonly shared = true;
  private readonly pool: pg.Pool;
  private closed = false;
  /** Tells this process's change_log rows from other instances'. */
  private readonly instance = crypto.randomUUID();
  private readonly url: string;
  private readonly onError: (err: Error) => void;
  private readonly retry: PgRetry;
  private readonly consistency: 'strict' | 'notify';
  private readonly heartbeatMs: number;
  private readonly heard = new HeardVersions();
  private readonly versions: VersionReader;
  private readonly outbox: PgOutbox;

  private constructor(url: string, options: PostgresStoreOptions) {
    this.url = url;
    this.onError = options.onError ?? (() => {});
    this.retry = new PgRetry(options.retryMs ?? 3000, () => this.closed);
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
    this.versions = new VersionReader(this.query);
    this.outbox = new PgOutbox(this.query);
  }

  /** Whether the database was reachable at the last attempt. */
  get health(): StoreHealth {
    return this.retry.health;
  }

  onHealth(listener: (health: StoreHealth) => void): () => void {
    return this.retry.onHealth(listener);
  }

  /** A read or an idempotent write: retried on transient failures (for `budgetMs`, default retryMs). */
  private readonly query: PgQuery = (what, config, values, budgetMs) =>
    this.retry.run(
      what,
      () => (typeof config === 'string' ? this.pool.query(config, values) : this.pool.query(config)),
      budgetMs,
    );

  /** Connect, create or migrate the schema, and return the store. */
  static async connect(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(url, options);
    try {
      await migratePostgres(store.pool, `database ${redactUrl(url)}`);
    } catch (err) {
      await store.pool.end().catch(() => undefined);
      throw err;
    }
    return store;
  }

  /** The migrations applied to this database, oldest first. */
  async schemaVersions(): Promise<number[]> {
    const r = await this.query<{ version: number }>(
      'schema versions',
      'SELECT version FROM vtn_migrations ORDER BY version',
    );
    return r.rows.map((x) => x.version);
  }

  changeVersion(): Promise<number> {
    return this.versions.counter();
  }

  knownVersions(): ChangeVersions | undefined {
    return this.heard.known();
  }

  changeVersions(): Promise<ChangeVersions> {
    return this.versions.shared();
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
    const ctx = { pool: this.pool, instance: this.instance, heard: this.heard };
    await this.retry.run('write', async () => {
      try {
        await writeChange(ctx, change, () => (committing = true));
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

  dueNotifications(now: number, limit: number, claimMs?: number): Promise<OutboxEntry[]> {
    return this.outbox.due(now, limit, claimMs);
  }

  markDelivered(id: number): Promise<void> {
    return this.outbox.markDelivered(id);
  }

  markFailed(id: number, error: string, nextAttemptAt: number, dead: boolean): Promise<void> {
    return this.outbox.markFailed(id, error, nextAttemptAt, dead);
  }

  deliverySummary(subscriptionID?: string): Promise<DeliverySummary> {
    return this.outbox.summary(subscriptionID);
  }

  recentOutbox(limit: number): Promise<OutboxEntry[]> {
    return this.outbox.recent(limit);
  }

  pruneDelivered(before: number): Promise<number> {
    return this.outbox.pruneDelivered(before);
  }

  /** Hear other instances' changes (see ChangeWatcher); the watcher's `state` says how it is doing. */
  watchChanges(
    listener: (events: Array<Record<string, unknown>>) => void,
    onOutbox?: () => void,
  ): ChangeWatcher {
    return new ChangeWatcher({
      url: this.url,
      instance: this.instance,
      query: this.query,
      versions: this.versions,
      heard: this.heard,
      consistency: this.consistency,
      heartbeatMs: this.heartbeatMs,
      onError: (err) => this.onError(err),
      listener,
      onOutbox,
    }).start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
