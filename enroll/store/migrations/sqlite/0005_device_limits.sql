-- Per-device limits. An outbox item remembers whether its inventory is
-- partial: a newer full inventory supersedes the waiting ones, a partial
-- one does not.
ALTER TABLE outbox ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;
