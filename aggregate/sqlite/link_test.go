package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate/sqlite"
	"tally/aggregate/storetest"
)

// TestNothingLinkable is the link test on the embedded store: a realistic
// day through the real aggregation path, closed, then every row of every
// table read back raw.
func TestNothingLinkable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	site, err := st.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	hits := storetest.RealisticDay(site.ID, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	storetest.FeedAll(t, st, hits)
	st.Close()

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	var rows []storetest.StoredRow
	cells := 0
	for _, name := range names {
		r, err := db.Query(`SELECT * FROM ` + name)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, storetest.StoredRow{Table: name, Cols: cols, Vals: vals})
			if name == "cells" {
				cells++
			}
		}
		r.Close()
	}
	if cells < 50 {
		t.Fatalf("only %d cells stored: the test looked at too little", cells)
	}
	storetest.CheckUnlinked(t, rows, hits)
	t.Logf("%d rows of %d tables, %d cells: counters and coarse values only", len(rows), len(names), cells)
}
