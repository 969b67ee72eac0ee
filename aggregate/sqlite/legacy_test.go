package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"tally/aggregate"
	"tally/aggregate/sqlite"
	"tally/aggregate/storetest"
	"tally/internal/legacysketch"
	"tally/migrations"
)

// TestLegacyConversion writes data as tally stored it before counters at
// rest — cells with HyperLogLog sketches, rollups, the day's salt — then
// opens the file with this version: counters survive, each sketch becomes
// its estimate, and no sketch or salt byte is left in the file.
func TestLegacyConversion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, sqlite.FileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	list, err := migrations.For("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
	for _, m := range list[:4] { // the schema before counters at rest
		for _, st := range m.Statements() {
			exec(st)
		}
		exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.Version, m.Name)
	}
	exec(`INSERT INTO sites (id, domain, timezone, created_at) VALUES (1, 'example.com', 'Europe/Berlin', 0)`)
	salt := bytes.Repeat([]byte("SALT-of-the-day!"), 2)
	exec(`INSERT INTO salts VALUES ('2026-11-02', ?)`, salt)

	sketch := func(from, to uint64) []byte {
		s := legacysketch.NewSketch()
		for k := from; k <= to; k++ {
			s.Insert(k * 0x9e3779b97f4a7c15)
		}
		b, _ := s.MarshalBinary()
		return b
	}
	key := func(page, browser string) string {
		var k aggregate.Key
		k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event], k[aggregate.Browser] = "example.com", page, "pageview", browser
		return k.Encode()
	}
	exec(`INSERT INTO cell_keys VALUES (1, 1, ?), (2, 1, ?)`, key("/a", "Chrome"), key("/b", "Firefox"))
	// 10:00 UTC on 2 November is 11:00 in Berlin: the same local day.
	h := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC).Unix()
	sa, sb, sb2 := sketch(1, 10), sketch(5, 12), sketch(11, 15)
	// Two instances wrote /b: their visitors overlap (11 and 12).
	exec(`INSERT INTO cells VALUES (1, ?, 'i1', 1, 12, 12, 10, 8, 600, 0, ?), (1, ?, 'i1', 2, 9, 9, 0, -1, 60, 0, ?),
		(1, ?, 'i2', 2, 6, 6, 5, 5, 0, 0, ?)`, h, sa, h, sb, h+3600, sb2)
	exec(`INSERT INTO rollups (site_id, dim, day, value, instance, pageviews, events, visits, bounces, duration, exits, sketch)
		VALUES (1, 20, ?, '', 'i1', 21, 21, 10, 7, 660, 0, ?)`, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).Unix(), sa)
	db.Close()

	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	site, err := st.Site(ctx, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	q := storetest.Q{From: "2026-11-02", To: "2026-11-02", Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews, aggregate.BounceRate}}
	// Visitors 1–15 over the day; visits 15, bounces 12 of 15: 80 %.
	if got := storetest.Totals(t, st, site, q); got[0] != 15 || got[1] != 15 || got[2] != 27 || got[3] != 80 {
		t.Errorf("day totals after conversion: %v, want 15 visitors, 15 visits, 27 pageviews, 80 %% bounces", got)
	}
	q.Metrics = []aggregate.Metric{aggregate.Visitors}
	q.Dimensions = []string{"event:page"}
	if got := storetest.Breakdown(t, st, site, q); got["/a"] != 10 || got["/b"] != 11 || len(got) != 2 {
		t.Errorf("visitors by page after conversion: %v, want /a 10, /b 11", got)
	}
	q.Dimensions = []string{"visit:browser"}
	if got := storetest.Breakdown(t, st, site, q); got["Chrome"] != 10 || got["Firefox"] != 11 {
		t.Errorf("visitors by browser after conversion: %v, want Chrome 10, Firefox 11", got)
	}
	st.Close()

	// Nothing of the old tables is left: no table, and no byte of a sketch
	// or of the salt anywhere under the data directory.
	db, err = sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name LIKE 'legacy_%' OR name = 'salts'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("legacy tables left: %d (%v)", n, err)
	}
	db.Close()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for what, needle := range map[string][]byte{"salt": salt, "sketch /a": sa, "sketch /b": sb, "sketch /b (i2)": sb2} {
			if bytes.Contains(b, needle) {
				t.Errorf("%s still holds the %s", e.Name(), what)
			}
		}
	}
}
