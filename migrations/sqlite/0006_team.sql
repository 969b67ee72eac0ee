-- Teams: a user's role on a site (account.Role: viewer or owner), and API
-- keys with an owner and a scope.
CREATE TABLE memberships (
	site_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	role    TEXT    NOT NULL,
	PRIMARY KEY (site_id, user_id)
);

-- user_id 0: an instance-wide key, which reads every site.
ALTER TABLE api_keys ADD COLUMN user_id INTEGER NOT NULL DEFAULT 0;
-- Comma-separated site IDs the key is narrowed to; empty: all the owner's.
ALTER TABLE api_keys ADD COLUMN sites TEXT NOT NULL DEFAULT '';
-- Unix seconds of the UTC day the key was last used; 0: never.
ALTER TABLE api_keys ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;
