-- One key per site seeding the noise of its public views, so that every
-- instance, restart and `tally report` run draws the same noise for the same
-- published count (dashboard/public/noise.go). Not a visitor's value. Two
-- instances that race may both insert: every reader takes the oldest row
-- (then the smallest key), so they agree once both rows are visible.
CREATE TABLE IF NOT EXISTS noise_keys (
	site_id    Int64,
	noise_key  String,
	created_at DateTime('UTC')
) ENGINE = MergeTree() ORDER BY site_id;
