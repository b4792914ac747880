-- objects, settings, outbox (the schema of release 0.1.0)
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
