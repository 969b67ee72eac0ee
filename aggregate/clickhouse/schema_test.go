package clickhouse

import (
	"strings"
	"testing"

	"tally/migrations"
)

// TestClusterStatements pins the cluster rule on every migration and on
// the kinds of table later migrations add: a table of batches (instance,
// seq) is sharded by site and day behind a Distributed table, any other
// MergeTree table is replicated to every node, and a statement the rewrite
// does not know is refused rather than run on one node.
func TestClusterStatements(t *testing.T) {
	list, err := migrations.For("clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, m := range list {
		for _, st := range m.Statements() {
			if _, err := clusterStatements(st, "db", "c", m.Version, kinds); err != nil {
				t.Errorf("migration %s: %v", m.Name, err)
			}
		}
	}
	for table, sharded := range map[string]bool{"cells": true, "sites": false, "users": false, "api_keys": false,
		"logins": false, "shares": false, "memberships": false, "api_key_uses": false, "noise_keys": false, "reports": false,
		"props": true, "engagement": true, "goals": false, "rollups": true, "rollups_start": false,
		"funnels": false, "funnel_counts": true} {
		if got, ok := kinds[table]; !ok || got != sharded {
			t.Errorf("after the migrations %s: sharded %v (known %v), want %v", table, got, ok, sharded)
		}
	}
	if _, ok := kinds["salts"]; ok {
		t.Errorf("salts, dropped by 0004, is still known")
	}

	cases := []struct {
		name, st string
		want     []string // substrings of each statement out, in order
		err      bool
	}{
		{name: "batch table with a day column", st: `CREATE TABLE IF NOT EXISTS day_counts (
	site_id Int64, day Date, instance String, seq UInt64, n Int64
) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (site_id, day, instance, seq)`,
			want: []string{
				"CREATE TABLE IF NOT EXISTS day_counts_local (\n\tsite_id Int64, day Date, instance String, seq UInt64, n Int64\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tally/db/day_counts/9/{shard}', '{replica}') PARTITION BY toYYYYMM(day)",
				"CREATE TABLE IF NOT EXISTS day_counts AS day_counts_local ENGINE = Distributed(c, db, day_counts_local, site_id + toRelativeDayNum(day))",
			}},
		{name: "small table with a version", st: `CREATE TABLE IF NOT EXISTS goals (
	site_id Int64, name String, deleted UInt8, version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (site_id, name)`,
			want: []string{"CREATE TABLE IF NOT EXISTS goals (\n\tsite_id Int64, name String, deleted UInt8, version UInt64\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tally/db/goals/9', '{shard}-{replica}', version) ORDER BY (site_id, name)"}},
		{name: "column added to a sharded table", st: "ALTER TABLE day_counts ADD COLUMN x Int64 DEFAULT 0",
			want: []string{"ALTER TABLE day_counts_local ADD COLUMN x Int64 DEFAULT 0", "ALTER TABLE day_counts ADD COLUMN x"}},
		{name: "column added to a small table", st: "ALTER TABLE goals ADD COLUMN y String", want: []string{"ALTER TABLE goals ADD COLUMN y String"}},
		{name: "a view over a sharded table", st: "CREATE MATERIALIZED VIEW IF NOT EXISTS day_mv TO goals AS\n\tSELECT site_id, sum(n) AS n FROM day_counts GROUP BY site_id",
			want: []string{"CREATE MATERIALIZED VIEW IF NOT EXISTS day_mv TO goals AS\n\tSELECT site_id, sum(n) AS n FROM day_counts_local GROUP BY site_id"}},
		{name: "a view into a sharded table", st: "CREATE MATERIALIZED VIEW IF NOT EXISTS v2 TO day_counts AS SELECT * FROM goals",
			want: []string{"TO day_counts_local AS SELECT * FROM goals"}},
		{name: "insert select", st: "INSERT INTO goals (site_id) SELECT 1 FROM (SELECT count() AS n FROM day_counts) WHERE n > 0",
			want: []string{"INSERT INTO goals (site_id) SELECT 1 FROM (SELECT count() AS n FROM day_counts) WHERE n > 0"}},
		{name: "drop", st: "DROP TABLE IF EXISTS day_counts", want: []string{"DROP TABLE IF EXISTS day_counts", "DROP TABLE IF EXISTS day_counts_local"}},
		{name: "batches without a site", st: `CREATE TABLE IF NOT EXISTS odd (instance String, seq UInt64) ENGINE = MergeTree() ORDER BY seq`, err: true},
		{name: "not MergeTree", st: `CREATE TABLE IF NOT EXISTS l (a Int64) ENGINE = Log`, err: true},
		{name: "a mutation", st: `ALTER TABLE goals DELETE WHERE site_id = 1`, err: true},
	}
	kinds = map[string]bool{}
	for _, c := range cases {
		out, err := clusterStatements(c.st, "db", "c", 9, kinds)
		if c.err {
			if err == nil {
				t.Errorf("%s: rewritten to %q, want an error", c.name, out)
			}
			continue
		}
		if err != nil || len(out) != len(c.want) {
			t.Errorf("%s: %q, %v; want %d statements", c.name, out, err, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(out[i], w) {
				t.Errorf("%s: statement %d = %q, want it to contain %q", c.name, i, out[i], w)
			}
		}
	}
}
