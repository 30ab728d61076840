-- Outbox leases on SQLite live in a table of their own: claiming an item,
-- renewing its lease while GLPI imports it, releasing it for a retry each
-- wrote the whole outbox row again, its body (30 KB and more) with it.
-- outbox.locked_until is no longer read on SQLite. PostgreSQL keeps it: an
-- update there leaves a row's stored body as it is.
CREATE TABLE outbox_leases (
	id           INTEGER PRIMARY KEY, -- outbox.id
	locked_until INTEGER NOT NULL
);
