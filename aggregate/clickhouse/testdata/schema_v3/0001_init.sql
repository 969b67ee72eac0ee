-- The ClickHouse store. Every time is UTC. Every statement is idempotent
-- (IF NOT EXISTS), so two instances starting at once may both run it.
--
-- ClickHouse has no unique keys and no in-place updates: the small tables are
-- ReplacingMergeTree(version) and are read with FINAL; a change or a deletion
-- is a new full row with a higher version (deletion sets deleted = 1).

CREATE TABLE IF NOT EXISTS sites (
	id         Int64,
	domain     String,
	timezone   String,
	count_dnt  UInt8,
	owner      Int64,
	created_at DateTime('UTC'),
	deleted    UInt8,
	version    UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY id;

CREATE TABLE IF NOT EXISTS api_keys (
	id         Int64,
	name       String,
	hash       String,
	created_at DateTime('UTC'),
	deleted    UInt8,
	version    UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY id;

CREATE TABLE IF NOT EXISTS users (
	id            Int64,
	email         String,
	password_hash String,
	admin         UInt8,
	created_at    DateTime('UTC'),
	deleted       UInt8,
	version       UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY id;

-- Partitioned by expiry month so that expired logins go as whole partitions.
CREATE TABLE IF NOT EXISTS logins (
	token_hash String,
	user_id    Int64,
	expires_at DateTime('UTC'),
	deleted    UInt8,
	version    UInt64
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(expires_at) ORDER BY token_hash;

CREATE TABLE IF NOT EXISTS shares (
	site_id      Int64,
	slug         String,
	min_visitors Int64,
	round_to     Int64,
	epsilon      Float64,
	created_at   DateTime('UTC'),
	deleted      UInt8,
	version      UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY site_id;

-- One partition per UTC day, so that destroying a day's salt is a partition
-- drop (immediate) rather than a mutation (eventual). old_parts_lifetime = 1
-- makes current servers delete the dropped files at once instead of after
-- the default eight minutes; 18.16 deletes them at once anyway.
CREATE TABLE IF NOT EXISTS salts (
	day         String,
	salt        String,
	inserted_at DateTime('UTC')
) ENGINE = MergeTree() PARTITION BY day ORDER BY day SETTINGS old_parts_lifetime = 1;

-- Hour cells: one row per (site, hour, key, instance) once merged; reads
-- use FINAL so an unmerged older copy never counts. Monthly partitions make
-- retention a partition drop.
CREATE TABLE IF NOT EXISTS cells (
	site_id   Int64,
	hour      DateTime('UTC'),
	key       String,
	instance  String,
	pageviews Int64,
	events    Int64,
	visits    Int64,
	bounces   Int64,
	duration  Int64,
	exits     Int64,
	sketch    String,
	version   UInt64
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(hour) ORDER BY (site_id, hour, key, instance);
