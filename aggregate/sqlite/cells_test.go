package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"tally/aggregate"
	"tally/aggregate/sqlite"
)

// TestKeysInternedElsewhere: a second store on the same file (another
// process, or this one after a restart) has none of the first one's keys
// cached. Its checkpoints mix keys the file holds with new ones, in more
// than one interning batch, and every cell must land on its own key, each
// key interned once.
func TestKeysInternedElsewhere(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	hour := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	cells := func(instance string, from, to int) []aggregate.Cell {
		var cs []aggregate.Cell
		for i := from; i < to; i++ {
			c := aggregate.Cell{Instance: instance, Site: 1, Hour: hour, Counters: aggregate.Counters{Pageviews: int64(i)}}
			c.Key[aggregate.Page] = fmt.Sprintf("/p/%d", i)
			cs = append(cs, c)
		}
		return cs
	}
	open := func() *sqlite.Store {
		st, err := sqlite.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a := open()
	site, err := a.AddSite(ctx, aggregate.Site{Domain: "example.com", Timezone: "UTC"})
	if err != nil || site.ID != 1 {
		t.Fatalf("AddSite = %+v, %v", site, err)
	}
	if err := a.WriteCells(ctx, cells("a", 0, 300)); err != nil {
		t.Fatal(err)
	}
	b := open()
	// Keys 0–299 are in the file, 300–699 are new; the batches mix both.
	mixed := append(cells("b", 250, 700), cells("b", 0, 250)...)
	if err := b.WriteCells(ctx, mixed); err != nil {
		t.Fatal(err)
	}

	got := map[string]int64{}
	err = b.ReadCells(ctx, 1, hour, hour.Add(time.Hour), func(c *aggregate.Cell) error {
		if c.Instance == "b" {
			got[c.Key[aggregate.Page]] = c.Pageviews
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 700 {
		t.Fatalf("read %d cells of instance b, want 700", len(got))
	}
	for i := range 700 {
		if p := fmt.Sprintf("/p/%d", i); got[p] != int64(i) {
			t.Fatalf("cell %s has %d pageviews, want %d", p, got[p], i)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM cell_keys`).Scan(&n); err != nil || n != 700 {
		t.Fatalf("cell_keys holds %d keys (%v), want 700", n, err)
	}
}
