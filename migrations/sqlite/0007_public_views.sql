-- What public views keep (dashboard/public). Neither table holds a
-- visitor's value.
--
-- One key per site seeding the noise of its public views, so that every
-- restart and every `tally report` run draws the same noise for the same
-- published count (dashboard/public/noise.go).
CREATE TABLE noise_keys (
	site_id    INTEGER PRIMARY KEY,
	noise_key  BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);

-- Reports of closed periods as they were first built and served: later
-- requests serve these bytes. report_key names the share, its parameters,
-- the period and the format; unpublishing deletes a site's rows.
CREATE TABLE reports (
	site_id    INTEGER NOT NULL,
	report_key TEXT    NOT NULL,
	body       BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (site_id, report_key)
);
