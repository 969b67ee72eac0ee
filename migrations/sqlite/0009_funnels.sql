-- Funnels (account.Funnel): an ordered list of a site's goals. steps holds
-- the goal ids in order, comma-separated ("12,15,17").
CREATE TABLE funnels (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	site_id    INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	steps      TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX funnels_site ON funnels (site_id);

-- Funnel counts (aggregate/funnels.go): per site, UTC hour of the visit's
-- start, funnel and step (1, 2, …), the visits that completed that step
-- after the ones before it, decided at ingest from the visit in progress
-- (memory only). Counters only: nothing per visit or visitor.
CREATE TABLE funnel_counts (
	site_id   INTEGER NOT NULL,
	hour      INTEGER NOT NULL,
	funnel_id INTEGER NOT NULL,
	step      INTEGER NOT NULL,
	visits    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (site_id, funnel_id, hour, step)
) WITHOUT ROWID;
