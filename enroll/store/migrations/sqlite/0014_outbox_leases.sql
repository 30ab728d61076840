-- Outbox leases on SQLite live in a table of their own: claiming an item
-- took its locked_until from 0 to a time, a record of another size, and
-- SQLite wrote the whole outbox row again, its body (30 KB and more)
-- with it; releasing it did the same. outbox.locked_until is no longer
-- read on SQLite. PostgreSQL keeps it: an update there leaves a row's
-- stored body as it is.
CREATE TABLE outbox_leases (
	id           INTEGER PRIMARY KEY, -- outbox.id
	locked_until INTEGER NOT NULL
);
