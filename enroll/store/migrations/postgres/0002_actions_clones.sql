ALTER TABLE keys ADD COLUMN clone_policy TEXT NOT NULL DEFAULT 'fork';
ALTER TABLE keys ADD COLUMN ephemeral_ttl BIGINT NOT NULL DEFAULT 0;

ALTER TABLE devices ADD COLUMN clone_suspected_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN retired_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN superseded_by TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN relay_inventory_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX devices_hostname ON devices (key_id, hostname);
CREATE INDEX devices_glpi ON devices (glpi_deviceid);

ALTER TABLE outbox ADD COLUMN inventory_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inventory_history ADD COLUMN relay_status TEXT NOT NULL DEFAULT '';
ALTER TABLE inventory_history ADD COLUMN relay_message TEXT NOT NULL DEFAULT '';

CREATE TABLE spent_refresh (
	device_id  TEXT NOT NULL REFERENCES devices(id),
	hash       TEXT NOT NULL,
	generation BIGINT NOT NULL,
	PRIMARY KEY (device_id, hash)
);

CREATE TABLE actions (
	id           TEXT PRIMARY KEY,
	device_id    TEXT NOT NULL REFERENCES devices(id),
	type         TEXT NOT NULL,
	full_run     BIGINT NOT NULL DEFAULT 0,
	categories   TEXT NOT NULL DEFAULT '',
	config       TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL,
	message      TEXT NOT NULL DEFAULT '',
	inventory_id BIGINT NOT NULL DEFAULT 0,
	created_at   BIGINT NOT NULL,
	delivered_at BIGINT NOT NULL DEFAULT 0,
	updated_at   BIGINT NOT NULL
);
CREATE INDEX actions_device ON actions (device_id, state);
CREATE INDEX actions_inventory ON actions (device_id, inventory_id);

CREATE TABLE action_history (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	action_id    TEXT NOT NULL REFERENCES actions(id),
	device_id    TEXT NOT NULL,
	at           BIGINT NOT NULL,
	state        TEXT NOT NULL,
	message      TEXT NOT NULL DEFAULT '',
	inventory_id BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX action_history_action ON action_history (action_id, id);

CREATE TABLE clones (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	device_id     TEXT NOT NULL REFERENCES devices(id),
	key_id        TEXT NOT NULL,
	fp_hash       TEXT NOT NULL,
	via           TEXT NOT NULL,
	signals       TEXT NOT NULL,
	policy        TEXT NOT NULL,
	state         TEXT NOT NULL,
	detected_at   BIGINT NOT NULL,
	resolved_at   BIGINT NOT NULL DEFAULT 0,
	new_device_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX clones_device ON clones (device_id, fp_hash);
