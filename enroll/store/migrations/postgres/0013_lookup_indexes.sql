-- Lookups of a device by install id or host name name every column they
-- filter on, so that the planner never prefers devices_state (the
-- console's index, led by revoked_at and retired_at, which nearly every
-- device shares) and reads every active device: at 20,000 devices that
-- made each enrollment scan them all (86 % of its time).
DROP INDEX devices_install_hash;
CREATE INDEX devices_install_hash ON devices (key_id, install_hash, revoked_at, retired_at);
DROP INDEX devices_hostname;
CREATE INDEX devices_hostname ON devices (key_id, hostname, revoked_at);
CREATE INDEX devices_by_hostname ON devices (hostname, revoked_at, retired_at);
