-- change log for LISTEN/NOTIFY between instances
-- keyed by the change counter, which writers bump under one row lock: keys are in commit order
CREATE TABLE change_log (
  version BIGINT PRIMARY KEY,
  instance TEXT NOT NULL,
  events TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
