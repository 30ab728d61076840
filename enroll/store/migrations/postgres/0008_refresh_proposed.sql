-- refresh_proposed is 1 when the device's current refresh secret is one the
-- device proposed (next_refresh_secret) at its rotation: only the client
-- that rotated knows it, so a replay of the previous secret within the grace
-- window that does not propose it again comes from another client.
ALTER TABLE devices ADD COLUMN refresh_proposed INTEGER NOT NULL DEFAULT 0;
