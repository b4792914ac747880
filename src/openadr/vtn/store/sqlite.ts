/**
 * The embedded store: one SQLite file (better-sqlite3 12) or `:memory:` for tests.
 * WAL journal with synchronous=FULL: a write acknowledged to a client is on disk, so it survives
 * `kill -9` (and power loss). Every change is one transaction including its outbox rows.
 * The schema is versioned: the files in `migrations/sqlite/`, applied on open (see migrate.ts).
 */
import fs from 'fs';
import path from 'path';
import Database from 'better-sqlite3';
import {
  type ChangeSet,
  type DeliverySummary,
  type ListQuery,
  type ObjectType,
  type OutboxEntry,
  type StoredObject,
  UniqueViolation,
  type VtnStore,
} from './store';
import {
  loadMigrations,
  type Migration,
  MigrationError,
  type MigrationResult,
  runMigrationsSync,
} from './migrate';

interface ObjectRow {
  seq: number;
  type: ObjectType;
  id: string;
  owner: string | null;
  name: string | null;
  scope: string;
  ref: string;
  targeted: number;
  body?: string;
}

interface OutboxRow {
  id: number;
  subscription_id: string;
  callback_url: string;
  bearer_token: string | null;
  body: string;
  attempts: number;
  next_attempt_at: number;
  state: OutboxEntry['state'];
  last_error: string | null;
  created_at: number;
}

/** Append only: a released migration is never edited, a change is a new file. */
export const SQLITE_MIGRATIONS: Migration[] = loadMigrations(path.join(__dirname, 'migrations', 'sqlite'));

const PREPARE = `
CREATE TABLE IF NOT EXISTS vtn_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  sha256 TEXT,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
`;

/** Tables and indexes by name → the SQL that created them (SQLite keeps it as written). */
function schemaOf(db: Database.Database): Map<string, string> {
  const rows = db
    .prepare<[], { name: string; sql: string | null }>(
      "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name <> 'vtn_migrations'",
    )
    .all();
  return new Map(rows.map((r) => [r.name, r.sql ?? '']));
}

let version1: Map<string, string> | undefined;

/**
 * A file written before schema versions (release 0.1.0) has version 1's tables and no record of
 * them: recognised by having exactly version 1's tables and indexes. 0 when it has none of them
 * (a new file); anything in between is not a store this VTN can upgrade.
 */
function unrecordedVersion(db: Database.Database, label: string): number {
  if (!version1) {
    const scratch = new Database(':memory:');
    scratch.exec(SQLITE_MIGRATIONS[0].sql);
    version1 = schemaOf(scratch);
    scratch.close();
  }
  const found = schemaOf(db);
  const present = [...version1.keys()].filter((name) => found.has(name));
  if (present.length === 0) return 0;
  const missing = [...version1.keys()].filter((name) => !found.has(name));
  const changed = present.filter((name) => found.get(name) !== version1!.get(name));
  if (missing.length === 0 && changed.length === 0) return 1;
  const what = [
    changed.length ? `changed: ${changed.join(', ')}` : '',
    missing.length ? `missing: ${missing.join(', ')}` : '',
  ];
  throw new MigrationError(
    `${label} has VTN tables without a schema version, and they are not those of release 0.1.0 ` +
      `(${what.filter(Boolean).join('; ')}): not a store this VTN can upgrade`,
  );
}

/**
 * Bring an open SQLite database to `migrations` (each in a transaction of its own). A second
 * process upgrading the same file waits for the write lock (busy_timeout) and skips what the first
 * applied.
 */
export function migrateSqlite(
  db: Database.Database,
  label: string,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
): MigrationResult {
  return runMigrationsSync(
    {
      label,
      exec: (sql) => void db.exec(sql),
      query: <R>(sql: string, params: unknown[] = []) => {
        // The runner's statements use $1, $2… once each and in order, so SQLite's `?` binds the same.
        const stmt = db.prepare(sql.replace(/\$\d+/g, '?'));
        return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as R[];
      },
      prepareSql: PREPARE,
      beginSql: 'BEGIN IMMEDIATE',
      rollback: () => {
        try {
          if (db.inTransaction) db.exec('ROLLBACK');
        } catch {
          // SQLite has already rolled back (it does on some errors): nothing is left to undo
        }
      },
      unrecordedVersion: () => unrecordedVersion(db, label),
    },
    migrations,
  );
}

/** Parsed bodies by `type:id`, so a VEN polling a page does not re-parse every stored object. */
const CACHE_LIMIT = 20_000;

function toOutbox(row: OutboxRow): OutboxEntry {
  return {
    id: row.id,
    subscriptionID: row.subscription_id,
    callbackUrl: row.callback_url,
    bearerToken: row.bearer_token,
    body: row.body,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    state: row.state,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

export class SqliteStore implements VtnStore {
  readonly kind: string;
  private readonly db: Database.Database;
  private readonly applyTx: (change: ChangeSet) => void;
  private readonly stmts;
  private readonly bodies = new Map<string, Record<string, unknown>>();
  private readonly listStatements = new Map<
    string,
    Database.Statement<[Record<string, unknown>], ObjectRow>
  >();

  /** @param file a path, or ':memory:' */
  constructor(file: string) {
    this.kind = file === ':memory:' ? 'memory' : `sqlite:${file}`;
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    if (file !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    try {
      migrateSqlite(this.db, file);
    } catch (err) {
      this.db.close(); // a refused file is left alone, not held open
      throw err;
    }
    const db = this.db;
    this.stmts = {
      get: db.prepare<[string, string], ObjectRow>('SELECT * FROM objects WHERE type = ? AND id = ?'),
      body: db.prepare<[string, string], { body: string }>(
        'SELECT body FROM objects WHERE type = ? AND id = ?',
      ),
      insert: db.prepare(
        'INSERT INTO objects (type, id, owner, name, scope, ref, targeted, body) VALUES (@type, @id, @owner, @name, @scope, @ref, @targeted, @body) ' +
          'ON CONFLICT (type, id) DO UPDATE SET owner = excluded.owner, name = excluded.name, scope = excluded.scope, ref = excluded.ref, targeted = excluded.targeted, body = excluded.body',
      ),
      remove: db.prepare('DELETE FROM objects WHERE type = ? AND id = ?'),
      count: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM objects WHERE type = ?'),
      getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
      initSetting: db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)'),
      enqueue: db.prepare(
        'INSERT INTO outbox (subscription_id, callback_url, bearer_token, body, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      due: db.prepare<[number, number], OutboxRow>(
        "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
      ),
      delivered: db.prepare(
        "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, last_error = NULL WHERE id = ?",
      ),
      failed: db.prepare(
        'UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?',
      ),
      recent: db.prepare<[number], OutboxRow>('SELECT * FROM outbox ORDER BY id DESC LIMIT ?'),
    };
    this.applyTx = db.transaction((change: ChangeSet) => {
      for (const r of change.remove ?? []) {
        this.bodies.delete(`${r.type}:${r.id}`);
        this.stmts.remove.run(r.type, r.id);
      }
      for (const o of change.put ?? []) {
        this.bodies.delete(`${o.type}:${o.id}`);
        try {
          this.stmts.insert.run({
            type: o.type,
            id: o.id,
            owner: o.owner,
            name: o.name,
            scope: o.scope,
            ref: o.ref,
            targeted: o.targeted ? 1 : 0,
            body: JSON.stringify(o.body),
          });
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && o.name !== null)
            throw new UniqueViolation(o.type, o.name);
          throw err;
        }
      }
      const now = Date.now();
      for (const n of change.notify ?? [])
        this.stmts.enqueue.run(n.subscriptionID, n.callbackUrl, n.bearerToken, n.body, now, now);
    });
  }

  /** A StoredObject whose body is parsed (or taken from the cache) only when first read. */
  private toObject(row: ObjectRow): StoredObject {
    const key = `${row.type}:${row.id}`;
    const bodies = this.bodies;
    const stmt = this.stmts.body;
    let text = row.body;
    let body: Record<string, unknown> | undefined;
    return {
      seq: row.seq,
      type: row.type,
      id: row.id,
      owner: row.owner,
      name: row.name,
      scope: row.scope,
      ref: row.ref,
      targeted: row.targeted === 1,
      get body(): Record<string, unknown> {
        if (body) return body;
        body = bodies.get(key);
        if (body) return body;
        text ??= stmt.get(row.type, row.id)?.body ?? '{}';
        body = JSON.parse(text) as Record<string, unknown>;
        if (bodies.size >= CACHE_LIMIT) bodies.clear();
        bodies.set(key, body);
        return body;
      },
    };
  }

  /** The migrations applied to this file, oldest first. */
  async schemaVersions(): Promise<number[]> {
    return this.db
      .prepare<[], { version: number }>('SELECT version FROM vtn_migrations ORDER BY version')
      .all()
      .map((r) => r.version);
  }

  async get(type: ObjectType, id: string): Promise<StoredObject | undefined> {
    const row = this.stmts.get.get(type, id);
    return row ? this.toObject(row) : undefined;
  }

  async list(q: ListQuery): Promise<StoredObject[]> {
    const where = ['type = @type'];
    if (q.scope !== undefined) where.push('scope = @scope');
    if (q.ref !== undefined) where.push('ref = @ref');
    if (q.name !== undefined) where.push('name = @name');
    if (q.owner !== undefined) where.push('owner = @owner');
    if (q.afterSeq !== undefined) where.push('seq > @afterSeq');
    const sql = `SELECT seq, type, id, owner, name, scope, ref, targeted FROM objects WHERE ${where.join(' AND ')} ORDER BY seq${q.limit !== undefined ? ' LIMIT @limit' : ''}`;
    let stmt = this.listStatements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<[Record<string, unknown>], ObjectRow>(sql);
      this.listStatements.set(sql, stmt);
    }
    const params: Record<string, unknown> = { type: q.type };
    for (const k of ['scope', 'ref', 'name', 'owner', 'afterSeq', 'limit'] as const)
      if (q[k] !== undefined) params[k] = q[k];
    const rows = stmt.all(params);
    return rows.map((r) => this.toObject(r));
  }

  async count(type: ObjectType): Promise<number> {
    return this.stmts.count.get(type)?.n ?? 0;
  }

  async apply(change: ChangeSet): Promise<void> {
    this.applyTx(change);
  }

  async getSetting(key: string): Promise<string | undefined> {
    return this.stmts.getSetting.get(key)?.value;
  }

  async initSetting(key: string, value: string): Promise<string> {
    this.stmts.initSetting.run(key, value);
    return this.stmts.getSetting.get(key)!.value;
  }

  async dueNotifications(now: number, limit: number): Promise<OutboxEntry[]> {
    return this.stmts.due.all(now, limit).map(toOutbox);
  }

  async markDelivered(id: number): Promise<void> {
    this.stmts.delivered.run(id);
  }

  async markFailed(id: number, error: string, nextAttemptAt: number, dead: boolean): Promise<void> {
    this.stmts.failed.run(dead ? 'dead' : 'pending', error, nextAttemptAt, id);
  }

  async deliverySummary(subscriptionID?: string): Promise<DeliverySummary> {
    const filter = subscriptionID === undefined ? '' : 'WHERE subscription_id = ?';
    const args = subscriptionID === undefined ? [] : [subscriptionID];
    const counts = this.db
      .prepare<unknown[], { state: string; n: number }>(
        `SELECT state, COUNT(*) AS n FROM outbox ${filter} GROUP BY state`,
      )
      .all(...args);
    const last = this.db
      .prepare<unknown[], { last_error: string | null }>(
        `SELECT last_error FROM outbox ${filter ? `${filter} AND` : 'WHERE'} last_error IS NOT NULL ORDER BY id DESC LIMIT 1`,
      )
      .get(...args);
    const by = (s: string): number => counts.find((c) => c.state === s)?.n ?? 0;
    return {
      pending: by('pending'),
      delivered: by('delivered'),
      dead: by('dead'),
      lastError: last?.last_error ?? null,
    };
  }

  async recentOutbox(limit: number): Promise<OutboxEntry[]> {
    return this.stmts.recent.all(limit).map(toOutbox);
  }

  async pruneDelivered(before: number): Promise<number> {
    return this.db.prepare("DELETE FROM outbox WHERE state = 'delivered' AND created_at < ?").run(before)
      .changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
