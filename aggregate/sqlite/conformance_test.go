package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"tally/aggregate"
	"tally/aggregate/sqlite"
	"tally/aggregate/storetest"
)

// TestConformance runs the suite both stores pass.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) aggregate.Store { return storetest.SQLite(t) })
}

// TestUnknownEstimates: rollups written before the store kept estimates.
func TestUnknownEstimates(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.UnknownEstimates(t, st, func(t *testing.T) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`UPDATE rollups SET visitors = -1`); err != nil {
			t.Fatal(err)
		}
	})
}
