-- The embedded store. Times are Unix seconds (UTC).
CREATE TABLE sites (
	id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, so late writes of a deleted site find no owner
	domain     TEXT    NOT NULL UNIQUE,
	timezone   TEXT    NOT NULL DEFAULT 'UTC',
	count_dnt  INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT    NOT NULL,
	hash       BLOB    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
);

-- At most one row: the salt of the current UTC day.
CREATE TABLE salts (
	day  TEXT PRIMARY KEY,
	salt BLOB NOT NULL
);

-- Dimension-value combinations, stored once per site and referenced by id.
CREATE TABLE cell_keys (
	id      INTEGER PRIMARY KEY,
	site_id INTEGER NOT NULL,
	key     TEXT    NOT NULL,
	UNIQUE (site_id, key)
);

CREATE TABLE cells (
	site_id   INTEGER NOT NULL,
	hour      INTEGER NOT NULL,
	instance  TEXT    NOT NULL,
	key_id    INTEGER NOT NULL,
	pageviews INTEGER NOT NULL,
	events    INTEGER NOT NULL,
	visits    INTEGER NOT NULL,
	bounces   INTEGER NOT NULL,
	duration  INTEGER NOT NULL,
	exits     INTEGER NOT NULL,
	sketch    BLOB,
	PRIMARY KEY (site_id, hour, instance, key_id)
) WITHOUT ROWID;
