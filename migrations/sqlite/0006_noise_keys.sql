-- One key per site seeding the noise of its public views, so that every
-- restart and every `tally report` run draws the same noise for the same
-- published count (dashboard/public/noise.go). Not a visitor's value.
CREATE TABLE noise_keys (
	site_id    INTEGER PRIMARY KEY,
	noise_key  BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);
