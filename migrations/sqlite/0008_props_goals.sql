-- Custom event properties as aggregates (docs/design.md, "What is stored"):
-- one row per site, UTC hour (Unix seconds), event name, property key and
-- value; every checkpoint adds its counts to the row. visitors counts the
-- visitors the first time today with (key, value), v_event those with
-- (event, key, value): first-occurrence counters decided at ingest, like
-- the cells' (aggregate/props.go). Nothing per visitor is stored.
CREATE TABLE props (
	site_id    INTEGER NOT NULL,
	hour       INTEGER NOT NULL,
	event      TEXT    NOT NULL,
	prop_key   TEXT    NOT NULL,
	prop_value TEXT    NOT NULL,
	pageviews  INTEGER NOT NULL DEFAULT 0,
	events     INTEGER NOT NULL DEFAULT 0,
	visitors   INTEGER NOT NULL DEFAULT 0,
	v_event    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (site_id, prop_key, hour, event, prop_value)
) WITHOUT ROWID;

-- Goals (account.Goal): a custom event's name or a page pattern per site.
-- They are questions asked of the counters above and of the cells, so
-- nothing is counted per goal.
CREATE TABLE goals (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	site_id    INTEGER NOT NULL,
	event      TEXT    NOT NULL,
	page       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX goals_site ON goals (site_id);

-- Engagement (aggregate/engagement.go): per site, UTC hour, hostname and
-- page, the page views that reported engagement, the sum of their deepest
-- scroll (percent) and of their engaged time (ms). scroll_depth and
-- time_on_page are sums over views.
CREATE TABLE engagement (
	site_id    INTEGER NOT NULL,
	hour       INTEGER NOT NULL,
	hostname   TEXT    NOT NULL,
	page       TEXT    NOT NULL,
	views      INTEGER NOT NULL DEFAULT 0,
	scroll_sum INTEGER NOT NULL DEFAULT 0,
	time_ms    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (site_id, hour, hostname, page)
) WITHOUT ROWID;
