-- An agent that did not get the answer to an inventory sends it again with
-- the same idempotency key: the service answers with the first one's id
-- and neither stores nor relays it twice.
ALTER TABLE inventory_history ADD COLUMN idem_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX inventory_history_idem ON inventory_history (device_id, idem_key) WHERE idem_key <> '';
