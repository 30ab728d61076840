-- The audit counted per day (UTC), event and reason, for the console's
-- charts: a day is counted once, when it is over, so that the overview
-- reads a few rows per day instead of every event of 30 days. audit_days
-- lists the days counted (a day without events has no count).
CREATE TABLE audit_days (
	day INTEGER PRIMARY KEY
);
CREATE TABLE audit_day_counts (
	day    INTEGER NOT NULL,
	event  TEXT NOT NULL,
	reason TEXT NOT NULL,
	count  INTEGER NOT NULL,
	PRIMARY KEY (day, event, reason)
);
