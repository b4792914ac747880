-- change counter and outbox claims for several instances
CREATE TABLE vtn_changes (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO vtn_changes (id, version) VALUES (1, 0);
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;
