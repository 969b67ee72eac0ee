-- What public views keep (dashboard/public). Neither table holds a
-- visitor's value. ClickHouse cannot refuse a second row for a key, so two
-- instances that race may both insert: every reader takes the oldest row
-- (then the smallest value), so they agree once both rows are visible.
--
-- One key per site seeding the noise of its public views, so that every
-- instance, restart and `tally report` run draws the same noise for the same
-- published count (dashboard/public/noise.go).
CREATE TABLE IF NOT EXISTS noise_keys (
	site_id    Int64,
	noise_key  String,
	created_at DateTime('UTC')
) ENGINE = MergeTree() ORDER BY site_id;

-- Reports of closed periods as they were first built and served: later
-- requests serve these bytes. report_key names the share, its parameters,
-- the period and the format; unpublishing deletes a site's rows.
CREATE TABLE IF NOT EXISTS reports (
	site_id    Int64,
	report_key String,
	body       String,
	created_at DateTime('UTC')
) ENGINE = MergeTree() ORDER BY (site_id, report_key);
