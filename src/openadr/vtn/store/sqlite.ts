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
  type: ObjectType;
  id: string;
  owner: string | null;
  name: string | null;
  scope: string;
  ref: string;
  body: string;
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

function toObject(row: ObjectRow): StoredObject {
  return {
    type: row.type,
    id: row.id,
    owner: row.owner,
    name: row.name,
    scope: row.scope,
    ref: row.ref,
    body: JSON.parse(row.body) as Record<string, unknown>,
  };
}

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
      insert: db.prepare(
        'INSERT INTO objects (type, id, owner, name, scope, ref, body) VALUES (@type, @id, @owner, @name, @scope, @ref, @body) ' +
          'ON CONFLICT (type, id) DO UPDATE SET owner = excluded.owner, name = excluded.name, scope = excluded.scope, ref = excluded.ref, body = excluded.body',
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
      for (const r of change.remove ?? []) this.stmts.remove.run(r.type, r.id);
      for (const o of change.put ?? []) {
        try {
          this.stmts.insert.run({ ...o, body: JSON.stringify(o.body) });
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

  async get(type: ObjectType, id: string): Promise<StoredObject | undefined> {
    const row = this.stmts.get.get(type, id);
    return row ? toObject(row) : undefined;
  }

  async list(q: ListQuery): Promise<StoredObject[]> {
    const where = ['type = @type'];
    if (q.scope !== undefined) where.push('scope = @scope');
    if (q.ref !== undefined) where.push('ref = @ref');
    if (q.name !== undefined) where.push('name = @name');
    if (q.owner !== undefined) where.push('owner = @owner');
    const rows = this.db
      .prepare<[ListQuery], ObjectRow>(`SELECT * FROM objects WHERE ${where.join(' AND ')} ORDER BY seq`)
      .all(q);
    return rows.map(toObject);
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

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
