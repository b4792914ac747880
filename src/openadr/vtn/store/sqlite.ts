/**
 * The embedded store: one SQLite file (better-sqlite3 12) or `:memory:` for tests.
 * WAL journal with synchronous=FULL: a write acknowledged to a client is on disk, so it survives
 * `kill -9` (and power loss). Every change is one transaction including its outbox rows.
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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  owner TEXT,
  name TEXT,
  scope TEXT NOT NULL DEFAULT '',
  ref TEXT NOT NULL DEFAULT '',
  targeted INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  UNIQUE (type, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_name ON objects (type, scope, name) WHERE name IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_scope ON objects (type, scope, seq);
CREATE INDEX IF NOT EXISTS objects_ref ON objects (type, ref, seq);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subscription_id TEXT NOT NULL,
  callback_url TEXT NOT NULL,
  bearer_token TEXT,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  last_error TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_subscription ON outbox (subscription_id, state);
`;

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
    this.db.exec(SCHEMA);
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
