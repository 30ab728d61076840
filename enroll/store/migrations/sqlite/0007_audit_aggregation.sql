-- Rejections of unauthenticated attempts are audited as one row per source
-- and window, with the number of occurrences, so that a flood of them
-- cannot grow the audit without bound.
ALTER TABLE audit ADD COLUMN occurrences INTEGER NOT NULL DEFAULT 1;
CREATE INDEX audit_source ON audit (source_ip, event, at);
