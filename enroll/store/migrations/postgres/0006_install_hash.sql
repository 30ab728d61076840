-- The install id is a re-enrollment credential: it is kept as a SHA-256,
-- like tokens. The Go step after the migrations (hashInstallIDs) moves the
-- clear ids of existing devices here and blanks install_id.
ALTER TABLE devices ADD COLUMN install_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX devices_install_hash ON devices (key_id, install_hash);
DROP INDEX devices_install;
