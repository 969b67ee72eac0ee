-- Custom event properties as aggregates (docs/design.md, "What is stored"):
-- one row per batch (instance, seq), site, UTC hour, event name, property
-- key and value, holding that batch's counts; queries sum the rows.
-- visitors counts the visitors the first time today with (key, value),
-- v_event those with (event, key, value): first-occurrence counters decided
-- at ingest, like the cells' (aggregate/props.go). Nothing per visitor is
-- stored.
--
-- Kept like cells: the sorting key is the row's identity, batch included,
-- so ReplacingMergeTree keeps one copy of a row of a batch that landed
-- twice; every query filters on the site and the property key (the primary
-- key), and monthly partitions make retention a partition drop.
CREATE TABLE IF NOT EXISTS props (
	site_id    Int64,
	hour       DateTime('UTC'),
	instance   String,
	seq        UInt64,
	event      String,
	prop_key   String,
	prop_value String,
	pageviews  Int64,
	events     Int64,
	visitors   Int64,
	v_event    Int64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(hour)
PRIMARY KEY (site_id, prop_key, hour)
ORDER BY (site_id, prop_key, hour, event, prop_value, instance, seq);

-- Goals (account.Goal): a custom event's name or a page pattern per site,
-- kept like the other account tables (a row per version; deleted marks).
CREATE TABLE IF NOT EXISTS goals (
	id         Int64,
	site_id    Int64,
	event      String,
	page       String,
	created_at DateTime('UTC'),
	deleted    UInt8,
	version    UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (site_id, id);

-- Engagement (aggregate/engagement.go): one row per batch, site, UTC hour,
-- hostname and page: the page views that reported engagement, the sum of
-- their deepest scroll (percent) and of their engaged time (ms). Kept like
-- cells (identity in the sorting key, monthly partitions).
CREATE TABLE IF NOT EXISTS engagement (
	site_id    Int64,
	hour       DateTime('UTC'),
	instance   String,
	seq        UInt64,
	hostname   String,
	page       String,
	views      Int64,
	scroll_sum Int64,
	time_ms    Int64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(hour)
PRIMARY KEY (site_id, hour)
ORDER BY (site_id, hour, hostname, page, instance, seq);
