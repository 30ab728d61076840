CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE keys (
	id               TEXT PRIMARY KEY,
	hash             TEXT NOT NULL,
	tag              TEXT NOT NULL,
	description      TEXT NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	expires_at       INTEGER NOT NULL DEFAULT 0,
	max_uses         INTEGER NOT NULL DEFAULT 0,
	uses             INTEGER NOT NULL DEFAULT 0,
	allow_cidrs      TEXT NOT NULL DEFAULT '',
	hostname_pattern TEXT NOT NULL DEFAULT '',
	revoked_at       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE devices (
	id                  TEXT PRIMARY KEY,
	key_id              TEXT NOT NULL REFERENCES keys(id),
	tag                 TEXT NOT NULL,
	hostname            TEXT NOT NULL,
	glpi_deviceid       TEXT NOT NULL,
	agent_id            TEXT NOT NULL,
	os                  TEXT NOT NULL DEFAULT '',
	arch                TEXT NOT NULL DEFAULT '',
	agent_version       TEXT NOT NULL DEFAULT '',
	install_id          TEXT NOT NULL,
	fp_machine_id       TEXT NOT NULL DEFAULT '',
	fp_smbios_uuid      TEXT NOT NULL DEFAULT '',
	fp_serial           TEXT NOT NULL DEFAULT '',
	fp_macs             TEXT NOT NULL DEFAULT '',
	source_ip           TEXT NOT NULL DEFAULT '',
	replace_hash        TEXT NOT NULL,
	refresh_hash        TEXT NOT NULL,
	generation          INTEGER NOT NULL,
	prev_refresh_hash   TEXT NOT NULL DEFAULT '',
	prev_generation     INTEGER NOT NULL DEFAULT 0,
	prev_valid_until    INTEGER NOT NULL DEFAULT 0,
	created_at          INTEGER NOT NULL,
	last_seen_at        INTEGER NOT NULL,
	revoked_at          INTEGER NOT NULL DEFAULT 0,
	relay_status        TEXT NOT NULL DEFAULT '',
	relay_message       TEXT NOT NULL DEFAULT '',
	relay_at            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX devices_install ON devices (key_id, install_id);

CREATE TABLE access_tokens (
	hash       TEXT PRIMARY KEY,
	device_id  TEXT NOT NULL REFERENCES devices(id),
	expires_at INTEGER NOT NULL
);
CREATE INDEX access_tokens_device ON access_tokens (device_id);

CREATE TABLE inventories (
	device_id   TEXT PRIMARY KEY REFERENCES devices(id),
	received_at INTEGER NOT NULL,
	size        INTEGER NOT NULL,
	body        BLOB NOT NULL,
	sections    TEXT NOT NULL
);

CREATE TABLE inventory_history (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	device_id   TEXT NOT NULL REFERENCES devices(id),
	received_at INTEGER NOT NULL,
	size        INTEGER NOT NULL,
	changed     TEXT NOT NULL
);
CREATE INDEX inventory_history_device ON inventory_history (device_id, id);

CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	device_id       TEXT NOT NULL REFERENCES devices(id),
	agent_id        TEXT NOT NULL,
	body            BLOB NOT NULL,
	created_at      INTEGER NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	locked_until    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_device ON outbox (device_id, id);

CREATE TABLE audit (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	at        INTEGER NOT NULL,
	event     TEXT NOT NULL,
	key_id    TEXT NOT NULL DEFAULT '',
	device_id TEXT NOT NULL DEFAULT '',
	source_ip TEXT NOT NULL DEFAULT '',
	reason    TEXT NOT NULL DEFAULT '',
	detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);
