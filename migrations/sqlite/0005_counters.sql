-- Counters at rest (docs/design.md, "What is stored"). The tables of
-- earlier versions held a HyperLogLog sketch per cell and rollup, whose
-- sparse registers carry fragments of each visitor's key, and the day's salt.
-- They are renamed here; the store converts their rows (each sketch becomes
-- its estimate, in Go: see sqlite/legacy.go), then drops them and vacuums the
-- file, so no sketch byte and no salt remains. Nothing per visitor is stored.
ALTER TABLE cells RENAME TO legacy_cells;
ALTER TABLE cell_keys RENAME TO legacy_cell_keys;
ALTER TABLE rollups RENAME TO legacy_rollups;
DROP TABLE salts;

-- One row per site, UTC hour (Unix seconds) and combination of dimension
-- values; every checkpoint adds its counts to the row. Exit cells are the
-- rows with an exit page. The unique-visitor counters are the columns after
-- exits (aggregate.Unique): visitors the first time today in that
-- combination.
CREATE TABLE cells (
	site_id          INTEGER NOT NULL,
	hour             INTEGER NOT NULL,
	hostname         TEXT    NOT NULL,
	page             TEXT    NOT NULL,
	event            TEXT    NOT NULL,
	source           TEXT    NOT NULL,
	referrer         TEXT    NOT NULL,
	utm_source       TEXT    NOT NULL,
	utm_medium       TEXT    NOT NULL,
	utm_campaign     TEXT    NOT NULL,
	utm_content      TEXT    NOT NULL,
	utm_term         TEXT    NOT NULL,
	entry_page       TEXT    NOT NULL,
	exit_page        TEXT    NOT NULL,
	country          TEXT    NOT NULL,
	region           TEXT    NOT NULL,
	browser          TEXT    NOT NULL,
	browser_version  TEXT    NOT NULL,
	os               TEXT    NOT NULL,
	os_version       TEXT    NOT NULL,
	device           TEXT    NOT NULL,
	language         TEXT    NOT NULL,
	pageviews        INTEGER NOT NULL DEFAULT 0,
	events           INTEGER NOT NULL DEFAULT 0,
	visits           INTEGER NOT NULL DEFAULT 0,
	bounces          INTEGER NOT NULL DEFAULT 0,
	duration         INTEGER NOT NULL DEFAULT 0,
	exits            INTEGER NOT NULL DEFAULT 0,
	visitors               INTEGER NOT NULL DEFAULT 0,
	v_hostname             INTEGER NOT NULL DEFAULT 0,
	v_page                 INTEGER NOT NULL DEFAULT 0,
	v_event                INTEGER NOT NULL DEFAULT 0,
	v_source               INTEGER NOT NULL DEFAULT 0,
	v_referrer             INTEGER NOT NULL DEFAULT 0,
	v_utm_source           INTEGER NOT NULL DEFAULT 0,
	v_utm_medium           INTEGER NOT NULL DEFAULT 0,
	v_utm_campaign         INTEGER NOT NULL DEFAULT 0,
	v_utm_content          INTEGER NOT NULL DEFAULT 0,
	v_utm_term             INTEGER NOT NULL DEFAULT 0,
	v_entry_page           INTEGER NOT NULL DEFAULT 0,
	v_exit_page            INTEGER NOT NULL DEFAULT 0,
	v_country              INTEGER NOT NULL DEFAULT 0,
	v_region               INTEGER NOT NULL DEFAULT 0,
	v_browser              INTEGER NOT NULL DEFAULT 0,
	v_browser_version      INTEGER NOT NULL DEFAULT 0,
	v_os                   INTEGER NOT NULL DEFAULT 0,
	v_os_version           INTEGER NOT NULL DEFAULT 0,
	v_device               INTEGER NOT NULL DEFAULT 0,
	v_language             INTEGER NOT NULL DEFAULT 0,
	v_page_source          INTEGER NOT NULL DEFAULT 0,
	v_page_referrer        INTEGER NOT NULL DEFAULT 0,
	v_page_utm_source      INTEGER NOT NULL DEFAULT 0,
	v_page_utm_medium      INTEGER NOT NULL DEFAULT 0,
	v_page_utm_campaign    INTEGER NOT NULL DEFAULT 0,
	v_page_utm_content     INTEGER NOT NULL DEFAULT 0,
	v_page_utm_term        INTEGER NOT NULL DEFAULT 0,
	v_page_entry_page      INTEGER NOT NULL DEFAULT 0,
	v_event_source         INTEGER NOT NULL DEFAULT 0,
	v_event_referrer       INTEGER NOT NULL DEFAULT 0,
	v_event_utm_source     INTEGER NOT NULL DEFAULT 0,
	v_event_utm_medium     INTEGER NOT NULL DEFAULT 0,
	v_event_utm_campaign   INTEGER NOT NULL DEFAULT 0,
	v_event_utm_content    INTEGER NOT NULL DEFAULT 0,
	v_event_utm_term       INTEGER NOT NULL DEFAULT 0,
	v_event_entry_page     INTEGER NOT NULL DEFAULT 0,
	v_hour                 INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (site_id, hour, hostname, page, event, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, entry_page, exit_page, country, region, browser, browser_version, os, os_version, device, language)
) WITHOUT ROWID;

-- Day rollups: per site, civil day in the site's time zone (days since
-- 1970-01-01), dimension (its column name; '' for the day's totals) and
-- value, the sums of the day's cells; visitors is the dimension's own unique
-- counter (v_<dim>, or visitors for the totals). Unfiltered breakdowns by one
-- dimension read these instead of every cell of the range.
CREATE TABLE rollups (
	site_id   INTEGER NOT NULL,
	day       INTEGER NOT NULL,
	dim       TEXT    NOT NULL,
	value     TEXT    NOT NULL,
	pageviews INTEGER NOT NULL DEFAULT 0,
	events    INTEGER NOT NULL DEFAULT 0,
	visits    INTEGER NOT NULL DEFAULT 0,
	bounces   INTEGER NOT NULL DEFAULT 0,
	duration  INTEGER NOT NULL DEFAULT 0,
	exits     INTEGER NOT NULL DEFAULT 0,
	visitors  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (site_id, dim, day, value)
) WITHOUT ROWID;

-- The checkpoints stored, so a retried or replayed one is skipped.
CREATE TABLE batches (
	instance TEXT    NOT NULL,
	seq      INTEGER NOT NULL,
	at       INTEGER NOT NULL,
	PRIMARY KEY (instance, seq)
) WITHOUT ROWID;
