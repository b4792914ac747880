-- change counter per object type (poll caches survive report writes)
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
