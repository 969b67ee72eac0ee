-- Day rollups, as the embedded store keeps them (rollupsOf in
-- aggregate/sqlite/cells.go): per site, local day of the site, dimension and
-- value ("" dim: the day's totals) the sums of the day's cells, with that
-- dimension's unique-visitor counter as visitors. A query of at most one
-- dimension at day grain or coarser, filtered on that dimension only (the
-- unfiltered dashboard: every panel, the KPIs, the daily chart), sums these
-- instead of the hour cells: a few thousand rows for a month where the
-- cells are millions.
--
-- cells gets the site's local day of each cell (day, days since
-- 1970-01-01, the site's zone when the cell was written), and a
-- materialized view turns every block inserted into cells into its rollup
-- rows. So rollups are exactly as exact as cells: WriteBatch inserts each
-- cell of a batch once (it looks up what is stored first), and the view
-- sees exactly the rows inserted. (Should the view's insert fail after
-- the cells' block was written, the retry finds the cells stored and the
-- rollups miss them: docs/clickhouse.md.) SummingMergeTree folds the rows
-- of a key as parts merge, so the table stays about one row per (site,
-- dimension, day, value) however often checkpoints run; queries sum rows
-- anyway.
ALTER TABLE cells ADD COLUMN day Int64;

-- visitors is read, uv is stored: the view cannot name its sum visitors,
-- because 18.16 then resolves the cells' visitors column in the ARRAY JOIN
-- below to that sum and fails. No deduplication of inserted blocks: a
-- replicated copy (a cluster) would otherwise drop the rollups of a batch
-- whose rows happen to equal an earlier batch's (two checkpoints of one
-- page view each); the cells' exactly-once lookup is what keeps inserts
-- single.
CREATE TABLE IF NOT EXISTS rollups (
	site_id    Int64,
	day        Int64,
	dim        String,
	value      String,
	pageviews  Int64,
	events     Int64,
	visits     Int64,
	bounces    Int64,
	duration   Int64,
	exits      Int64,
	uv         Int64,
	visitors   Int64 ALIAS uv
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(toDateTime(day * 86400, 'UTC'))
ORDER BY (site_id, dim, day, value)
SETTINGS replicated_deduplication_window = 0;

-- A regular cell adds to one row per dimension but the exit page, and to
-- the day's totals; an exit cell to its exit page's row only.
CREATE MATERIALIZED VIEW IF NOT EXISTS rollups_mv TO rollups AS
	SELECT site_id, day, tupleElement(r, 1) AS dim, tupleElement(r, 2) AS value,
		sum(pageviews) AS pageviews, sum(events) AS events, sum(visits) AS visits, sum(bounces) AS bounces,
		sum(duration) AS duration, sum(exits) AS exits, sum(tupleElement(r, 3)) AS uv
	FROM cells
	ARRAY JOIN if(exit_page = '', [
			('', '', visitors),
			('hostname', hostname, v_hostname),
			('page', page, v_page),
			('event', event, v_event),
			('source', source, v_source),
			('referrer', referrer, v_referrer),
			('utm_source', utm_source, v_utm_source),
			('utm_medium', utm_medium, v_utm_medium),
			('utm_campaign', utm_campaign, v_utm_campaign),
			('utm_content', utm_content, v_utm_content),
			('utm_term', utm_term, v_utm_term),
			('entry_page', entry_page, v_entry_page),
			('country', country, v_country),
			('region', region, v_region),
			('browser', browser, v_browser),
			('browser_version', browser_version, v_browser_version),
			('os', os, v_os),
			('os_version', os_version, v_os_version),
			('device', device, v_device),
			('language', language, v_language)
		], [('exit_page', exit_page, v_exit_page)]) AS r
	GROUP BY site_id, day, dim, value;

-- Days before this one have no rollups: they were stored before rollups
-- existed, and queries of ranges that start before it read the cells. A
-- new database has no row (rollups from the start); one that holds cells
-- when this migration runs gets the day after tomorrow (UTC), the first
-- day wholly after the upgrade in every zone. Re-running the statement
-- later can only add a later day, of which the store takes the latest.
CREATE TABLE IF NOT EXISTS rollups_start (day Int64) ENGINE = MergeTree() ORDER BY day;

INSERT INTO rollups_start (day) SELECT toInt64(toUInt16(today())) + 2 FROM (SELECT count() AS n FROM cells) WHERE n > 0;
