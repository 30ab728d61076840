-- Where an inventory came from, for GLPI: the address the service saw it
-- from (the relay's X-Forwarded-For) and the port of the agent's listener
-- (GLPI's httpd-port, sent in a CONTACT before the inventory), 0 for none.
ALTER TABLE outbox ADD COLUMN source_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN httpd_port INTEGER NOT NULL DEFAULT 0;
-- Who asked for an action the agent reported rather than the service
-- queued: "GLPI" (its "Request inventory" button, through the agent's
-- listener); empty for the service's own.
ALTER TABLE actions ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN requested_from TEXT NOT NULL DEFAULT '';
