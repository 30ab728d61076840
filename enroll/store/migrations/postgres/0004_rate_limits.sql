-- Failed attempts (wrong registration keys, wrong refresh secrets) counted
-- per source address or key id, shared by every replica. Each subject has
-- a token bucket, kept as the time it is full again (Unix microseconds):
-- a row whose full_at is past is forgotten by the sweep. The counts are
-- worth little after a crash, so the table is not written to the WAL: an
-- attacker's failures cost no fsync.
CREATE UNLOGGED TABLE rate_limits (
	scope   TEXT NOT NULL,
	subject TEXT NOT NULL,
	full_at BIGINT NOT NULL,
	PRIMARY KEY (scope, subject)
);
