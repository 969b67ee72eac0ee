-- Dashboard accounts, their signed-in sessions, and public shares.
ALTER TABLE sites ADD COLUMN owner INTEGER NOT NULL DEFAULT 0;

CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	email         TEXT    NOT NULL UNIQUE,
	password_hash BLOB    NOT NULL,
	admin         INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
);

CREATE TABLE logins (
	token_hash BLOB    PRIMARY KEY,
	user_id    INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);

CREATE TABLE shares (
	site_id      INTEGER PRIMARY KEY,
	slug         TEXT    NOT NULL UNIQUE,
	min_visitors INTEGER NOT NULL,
	round_to     INTEGER NOT NULL,
	epsilon      REAL    NOT NULL,
	created_at   INTEGER NOT NULL
);
