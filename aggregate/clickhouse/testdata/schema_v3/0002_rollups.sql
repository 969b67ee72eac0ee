-- Day rollups: per site, dimension (aggregate.Dim; 20 = totals), civil day in
-- the site's time zone, and value. Like cells: the newest version per
-- (site, dim, day, value, instance) counts, reads use FINAL, and monthly
-- partitions make retention a partition drop.
CREATE TABLE IF NOT EXISTS rollups (
	site_id   Int64,
	dim       UInt8,
	day       Date,
	value     String,
	instance  String,
	pageviews Int64,
	events    Int64,
	visits    Int64,
	bounces   Int64,
	duration  Int64,
	exits     Int64,
	sketch    String,
	version   UInt64
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(day) ORDER BY (site_id, dim, day, value, instance);
