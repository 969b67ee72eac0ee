package storetest

import (
	"fmt"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
)

// write stores one batch, failing the test on an error.
func write(t *testing.T, st aggregate.Store, instance string, seq uint64, cells ...aggregate.Cell) {
	t.Helper()
	if err := st.WriteBatch(bg, aggregate.Batch{Instance: instance, Seq: seq, Cells: cells}); err != nil {
		t.Fatalf("write batch %s/%d: %v", instance, seq, err)
	}
}

// counted is what a site has stored for the UTC day of h: pageviews,
// events, visits, visitors.
func counted(t *testing.T, st aggregate.Store, site account.Site, h time.Time) []float64 {
	t.Helper()
	day := h.Format(time.DateOnly)
	return Totals(t, st, site, Q{From: day, To: day,
		Metrics: []aggregate.Metric{aggregate.Pageviews, aggregate.Events, aggregate.Visits, aggregate.Visitors}})
}

func testCells(t *testing.T, st aggregate.Store) {
	site := ok(st.AddSite(bg, account.Site{Domain: "cells.example", Timezone: "UTC"}))(t)
	h := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	var home aggregate.Key
	home[aggregate.Page] = "/"
	home[aggregate.Event] = aggregate.PageviewEvent
	c1 := aggregate.Cell{Site: site.ID, Hour: h, Key: home,
		Counters: aggregate.Counters{Pageviews: 3, Events: 4, Visits: 2, Bounces: 1, Duration: 90}}
	c1.Uniques[aggregate.UVisitor] = 2
	c1.Uniques[aggregate.UniqueOf(aggregate.Page)] = 2
	write(t, st, "i1", 1, c1)
	wantTotals(t, "one batch", counted(t, st, site, h), 3, 4, 2, 2)

	// A batch is stored once: a retry after a lost answer, or a spill
	// replayed twice, changes nothing.
	write(t, st, "i1", 1, c1)
	wantTotals(t, "the same batch again", counted(t, st, site, h), 3, 4, 2, 2)

	// Later batches add up, as do other instances' (whose numbers are
	// their own).
	c1.Pageviews, c1.Events, c1.Visits, c1.Uniques = 2, 2, 0, [aggregate.NumUniques]int64{}
	write(t, st, "i1", 2, c1)
	write(t, st, "i2", 1, c1)
	wantTotals(t, "three batches", counted(t, st, site, h), 7, 8, 2, 2)

	// Every dimension round-trips, non-ASCII included.
	var full aggregate.Key
	for i := range full {
		full[i] = "välue-" + aggregate.Dim(i).Column()
	}
	full[aggregate.ExitPage] = ""
	c3 := aggregate.Cell{Site: site.ID, Hour: h.Add(time.Hour), Key: full, Counters: aggregate.Counters{Pageviews: 1, Events: 1}}
	orphan := c1
	orphan.Site = 987654321 // no such site: discarded
	write(t, st, "i1", 3, c3, orphan)
	for d := aggregate.Dim(0); int(d) < aggregate.NumDims; d++ {
		if d == aggregate.ExitPage {
			continue
		}
		day := h.Format(time.DateOnly)
		got := Breakdown(t, st, site, Q{From: day, To: day, Metrics: []aggregate.Metric{aggregate.Pageviews}, Dimensions: []string{d.String()}})
		if got[full[d]] != 1 {
			t.Errorf("breakdown by %s: %v, want %q: 1", d, got, full[d])
		}
	}
	if _, err := st.SiteByID(bg, orphan.Site); err == nil {
		t.Fatal("the orphan's site exists")
	}
	if err := st.WriteBatch(bg, aggregate.Batch{Instance: "i1", Seq: 4}); err != nil {
		t.Fatalf("writing no cells: %v", err)
	}

	// A large batch: stores write rows in chunks (and the embedded store
	// cells without unique counts with a statement of their own: every
	// third one here). 324 and 163 rows take each of the embedded store's
	// statement sizes (200, 25, 5, 1 rows).
	var batch []aggregate.Cell
	h3 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	for i := range 487 {
		var k aggregate.Key
		k[aggregate.Page] = fmt.Sprintf("/p/%d", i)
		c := aggregate.Cell{Site: site.ID, Hour: h3, Key: k, Counters: aggregate.Counters{Pageviews: int64(i + 1)}}
		if i%3 != 0 {
			c.Uniques[aggregate.UVisitor] = 1
		}
		batch = append(batch, c)
	}
	write(t, st, "i1", 5, batch...)
	got := counted(t, st, site, h3)
	if got[0] != 118828 || got[3] != 324 { // 1+…+487
		t.Fatalf("batch of 487 cells: %v, want 118828 pageviews, 324 visitors", got)
	}
}

func testDropBefore(t *testing.T, st aggregate.Store) {
	site := ok(st.AddSite(bg, account.Site{Domain: "old.example", Timezone: "UTC"}))(t)
	hours := []time.Time{
		time.Date(2026, 9, 15, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
	}
	var cells []aggregate.Cell
	for _, h := range hours {
		cells = append(cells, aggregate.Cell{Site: site.ID, Hour: h, Counters: aggregate.Counters{Pageviews: 1}})
	}
	write(t, st, "i", 1, cells...)
	// Whole months: the granularity both stores honour exactly (the
	// ClickHouse store drops monthly partitions; docs/clickhouse.md).
	if err := st.DropBefore(bg, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	q := Q{From: "2026-09-01", To: "2026-11-30", Metrics: []aggregate.Metric{aggregate.Pageviews}}
	wantTotals(t, "after DropBefore", Totals(t, st, site, q), 2)
	for _, e := range []*aggregate.Engine{aggregate.NewEngine(st, nil), aggregate.NewEngine(st, nil).WithoutRollups()} {
		res := QueryWith(t, e, site, Q{From: "2026-09-01", To: "2026-10-31", Metrics: []aggregate.Metric{aggregate.Pageviews}})
		if res.Rows[0].Metrics[0] != 0 {
			t.Fatalf("September and October survived DropBefore: %v", res.Rows)
		}
	}
}
