-- Teams: a user's role on a site (account.Role: viewer or owner), and API
-- keys with an owner and a scope. Like the other account tables: the
-- newest version per key counts, deletion is a row with deleted = 1.
CREATE TABLE IF NOT EXISTS memberships (
	site_id Int64,
	user_id Int64,
	role    String,
	deleted UInt8,
	version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (site_id, user_id);

-- user_id 0: an instance-wide key, which reads every site.
ALTER TABLE api_keys ADD COLUMN user_id Int64 DEFAULT 0;
-- The site IDs the key is narrowed to; empty: all the owner's.
ALTER TABLE api_keys ADD COLUMN sites Array(Int64);

-- The UTC day (Unix seconds) each key was last used, apart from the key's
-- own rows so that recording a use can never bring back a revoked key.
CREATE TABLE IF NOT EXISTS api_key_uses (
	key_id Int64,
	day    Int64
) ENGINE = ReplacingMergeTree(day) ORDER BY key_id;
