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

-- The console's queries, fast with 20,000 devices: the audit per day by
-- event and reason (covering), the device list newest first (searched by
-- host name without reading the rows), a device's events, the counts
-- by state (covering), GLPI's last answer.
ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_event ON audit (event, at, reason, occurrences);
CREATE INDEX devices_created ON devices (created_at, id, hostname);
CREATE INDEX audit_device ON audit (device_id, at);
CREATE INDEX devices_state ON devices (revoked_at, retired_at, clone_suspected_at, last_seen_at);
CREATE INDEX devices_relay ON devices (relay_at);
