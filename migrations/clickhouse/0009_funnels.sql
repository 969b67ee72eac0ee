-- Funnels (account.Funnel): an ordered list of a site's goals (their ids
-- in steps), kept like the other account tables (a row per version;
-- deleted marks).
CREATE TABLE IF NOT EXISTS funnels (
	id         Int64,
	site_id    Int64,
	name       String,
	steps      Array(Int64),
	created_at DateTime('UTC'),
	deleted    UInt8,
	version    UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (site_id, id);

-- Funnel counts (aggregate/funnels.go): one row per batch (instance, seq),
-- site, UTC hour of the visit's start, funnel and step (1, 2, …): the
-- visits that completed that step after the ones before it, decided at
-- ingest from the visit in progress (memory only). Kept like cells
-- (identity in the sorting key, monthly partitions); a query sums rows.
CREATE TABLE IF NOT EXISTS funnel_counts (
	site_id   Int64,
	hour      DateTime('UTC'),
	instance  String,
	seq       UInt64,
	funnel_id Int64,
	step      Int64,
	visits    Int64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(hour)
PRIMARY KEY (site_id, funnel_id, hour)
ORDER BY (site_id, funnel_id, hour, step, instance, seq);
