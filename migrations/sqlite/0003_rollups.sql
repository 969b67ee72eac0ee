-- Day rollups: per site, civil day in the site's time zone (Unix seconds of
-- that date's midnight UTC), dimension (aggregate.Dim; 20 = totals) and value.
CREATE TABLE rollups (
	site_id   INTEGER NOT NULL,
	dim       INTEGER NOT NULL,
	day       INTEGER NOT NULL,
	value     TEXT    NOT NULL,
	instance  TEXT    NOT NULL,
	pageviews INTEGER NOT NULL,
	events    INTEGER NOT NULL,
	visits    INTEGER NOT NULL,
	bounces   INTEGER NOT NULL,
	duration  INTEGER NOT NULL,
	exits     INTEGER NOT NULL,
	sketch    BLOB,
	PRIMARY KEY (site_id, dim, day, value, instance)
) WITHOUT ROWID;
