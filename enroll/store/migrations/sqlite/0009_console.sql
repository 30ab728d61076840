-- The web console: its accounts (passwords hashed with argon2id), their
-- sessions (tokens kept as SHA-256), and the account of each audit event.
CREATE TABLE users (
	name          TEXT PRIMARY KEY,
	role          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
	hash         TEXT PRIMARY KEY,
	user_name    TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_name);

ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_event ON audit (event, at);
CREATE INDEX devices_created ON devices (created_at);
