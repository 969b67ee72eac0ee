package clickhouse_test

import (
	"strings"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
)

// TestWriteBatchOnce: a batch is counted once however often it is written,
// also when only part of it had landed (a month's INSERT: its cells and the
// rollups the view made of them); cells of one identity in a batch add up;
// cells of unknown sites are dropped. Every answer is checked from the
// rollups and from the cells.
func TestWriteBatchOnce(t *testing.T) {
	dsn := storetest.ClickHouseDSN(t)
	db := storetest.DatabaseOf(dsn)
	st := storetest.ClickHouseAt(t, dsn)
	site, err := st.AddSite(bg, account.Site{Domain: "once.example", Timezone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	march := time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC)
	april := march.Add(time.Hour)
	cell := func(site int64, h time.Time, page string, views int64) aggregate.Cell {
		c := aggregate.Cell{Site: site, Hour: h, Key: key(aggregate.Page, page, aggregate.Event, aggregate.PageviewEvent),
			Counters: aggregate.Counters{Pageviews: views, Events: views, Visits: 1, Bounces: 1, Duration: 5}}
		c.Uniques[aggregate.UVisitor] = 1
		c.Uniques[aggregate.UniqueOf(aggregate.Page)] = 1
		return c
	}
	b := aggregate.Batch{Instance: "0123456789abcdef", Seq: 1, Cells: []aggregate.Cell{
		cell(site.ID, march, "/a", 1),
		cell(site.ID, april, "/a", 2),
		cell(site.ID, april, "/b", 3),
		cell(site.ID, april, "/b", 4), // the same cell again: adds up
		cell(999, april, "/b", 100),   // no such site
	}}
	rows := func() string {
		return strings.TrimSpace(string(storetest.ClickHouseQuery(t, "SELECT count() FROM "+db+".cells")))
	}
	// pageviews, visits, visitors, events
	want := func(what string, totals string) {
		t.Helper()
		for _, e := range []*aggregate.Engine{aggregate.NewEngine(st, nil), aggregate.NewEngine(st, nil).WithoutRollups()} {
			res := queryWith(t, e, site, "2026-03-31", "2026-04-01", []string{"event:page"})
			if got := table(res); got != totals {
				t.Errorf("%s:\n%s\nwant\n%s", what, got, totals)
			}
		}
	}
	once := "/a: 3 2 2 3\n/b: 7 2 2 7"
	for i := 0; i < 3; i++ {
		if err := st.WriteBatch(bg, b); err != nil {
			t.Fatal(err)
		}
		want("the batch written again", once)
		if n := rows(); n != "3" {
			t.Fatalf("%s rows stored, want 3 (one per cell)", n)
		}
	}

	// A batch that landed in part (its March INSERT, not its April one):
	// the rest is written, nothing twice.
	storetest.ClickHouseQuery(t, "ALTER TABLE "+db+".cells DROP PARTITION 202604")
	storetest.ClickHouseQuery(t, "ALTER TABLE "+db+".rollups DROP PARTITION 202604")
	if n := rows(); n != "1" {
		t.Fatalf("%s rows after dropping April, want 1", n)
	}
	if err := st.WriteBatch(bg, b); err != nil {
		t.Fatal(err)
	}
	want("the batch completed", once)
	if n := rows(); n != "3" {
		t.Fatalf("%s rows stored, want 3", n)
	}

	// The next batch, and another instance's first, add up.
	next := aggregate.Batch{Instance: b.Instance, Seq: 2, Cells: []aggregate.Cell{cell(site.ID, april, "/a", 1)}}
	other := aggregate.Batch{Instance: "fedcba9876543210", Seq: 1, Cells: []aggregate.Cell{cell(site.ID, april, "/a", 1)}}
	for _, x := range []aggregate.Batch{next, other, next, other} {
		if err := st.WriteBatch(bg, x); err != nil {
			t.Fatal(err)
		}
	}
	want("three batches", "/a: 5 4 4 5\n/b: 7 2 2 7")

	// A batch of nothing but unknown sites writes nothing.
	if err := st.WriteBatch(bg, aggregate.Batch{Instance: "x", Seq: 1, Cells: []aggregate.Cell{cell(999, april, "/", 1)}}); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != "5" {
		t.Fatalf("%s rows stored, want 5", n)
	}
}
