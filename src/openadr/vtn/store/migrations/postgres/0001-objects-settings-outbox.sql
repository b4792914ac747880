-- objects, settings, outbox
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
