package aggregate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
)

// TestFloodFoldsIntoOther posts a flood of made-up paths and campaigns to
// one site, with small bounds: the site's totals stay exact, its rows past
// the bound show as "(other)", and another site's counts are untouched —
// nothing is dropped for anyone.
func TestFloodFoldsIntoOther(t *testing.T) {
	ctx := context.Background()
	st, sites := sitesStore(t, "a.example", "b.example")
	attacked, other := sites[0], sites[1]
	c := &clock{t: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	const maxValues, siteCells, flood, visitors = 500, 300, 40_000, 4_000
	agg := aggregate.New(aggregate.Config{Checkpoint: time.Hour, MaxValues: maxValues, SiteCells: siteCells, MaxCells: 10_000}, st, c.Now, quiet)
	defer agg.Close(ctx)

	add := func(h aggregate.Hit) {
		for !agg.Add(h) {
			agg.Sync(ctx)
		}
	}
	for i := range flood {
		if i == flood/2 {
			c.Set(c.Now().Add(time.Hour)) // a second hour, after a checkpoint
			if err := agg.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var k aggregate.Key
		k[aggregate.Hostname] = "a.example"
		k[aggregate.Event] = "pageview"
		k[aggregate.Page] = fmt.Sprintf("/p/%d", i)
		k[aggregate.UTMContent] = fmt.Sprintf("c%d", i)
		add(aggregate.Hit{Site: attacked.ID, Time: c.Now(), Visitor: uint64(1 + i%visitors), Key: k})
		if i%200 == 0 { // the other site's hits arrive during the flood
			k[aggregate.Hostname] = "b.example"
			for j := range 2 {
				k[aggregate.Page] = fmt.Sprintf("/page/%d", (i/200+j)%20)
				k[aggregate.UTMContent] = ""
				add(aggregate.Hit{Site: other.ID, Time: c.Now(), Visitor: uint64(100_000 + (i/200+j)%50), Key: k})
			}
		}
	}
	if err := agg.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	day := aggregate.Day(c.Now(), time.UTC)
	eng := aggregate.NewEngine(st, nil)
	run := func(site account.Site, dims ...string) []aggregate.Row {
		t.Helper()
		q := aggregate.Query{Site: site, From: day, To: day, Metrics: []aggregate.Metric{aggregate.Pageviews, aggregate.Visitors}}
		for _, d := range dims {
			dd, err := aggregate.ParseDimension(d, day, day)
			if err != nil {
				t.Fatal(err)
			}
			q.Dimensions = append(q.Dimensions, dd)
		}
		q.Limit = 100_000
		res, err := eng.Run(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows
	}
	sum := func(rows []aggregate.Row) (pv float64, labels map[string]float64) {
		labels = map[string]float64{}
		for _, r := range rows {
			pv += float64(r.Metrics[0])
			labels[fmt.Sprint(r.Dimensions)] = float64(r.Metrics[0])
		}
		return pv, labels
	}

	// The other site: exact, row by row.
	expect(t, "other site", run(other)[0].Metrics, 400, 50)
	rows := run(other, "event:page")
	if len(rows) != 20 {
		t.Fatalf("other site has %d pages, want 20", len(rows))
	}
	for _, r := range rows {
		if r.Metrics[0] != 20 {
			t.Errorf("other site page %v: %v pageviews, want 20", r.Dimensions, r.Metrics[0])
		}
	}

	// The attacked site: exact in total, by hour, and summed over pages,
	// with the flood in "(other)".
	expect(t, "attacked site", run(attacked)[0].Metrics, flood, visitors)
	if pv, _ := sum(run(attacked, "time:hour")); pv != flood {
		t.Errorf("hours add up to %v pageviews, want %d", pv, flood)
	}
	for _, dim := range []string{"event:page", "visit:utm_content"} {
		rows := run(attacked, dim)
		pv, labels := sum(rows)
		if pv != flood {
			t.Errorf("%s rows add up to %v pageviews, want %d", dim, pv, flood)
		}
		if len(rows) > maxValues+1 {
			t.Errorf("%s: %d rows, want at most %d and (other)", dim, len(rows), maxValues)
		}
		if labels["[(other)]"] < flood-2*maxValues-siteCells {
			t.Errorf("%s: (other) has %v pageviews, want most of the flood", dim, labels["[(other)]"])
		}
	}
	s := agg.Stats()
	if s.ValuesOther == 0 || s.CellsOther == 0 {
		t.Errorf("stats %+v: want nothing dropped, values and cells sent to (other)", s)
	}
}

// TestManySitesFloodAtOnce floods four sites with new paths at once, so
// that together they fill the bound of cells in memory (MaxCells), while a
// fifth site gets ordinary traffic: the quiet site keeps every page of its
// own (it is under its fair share), the flooded sites' totals stay exact
// with their excess in "(other)", and nothing is dropped.
func TestManySitesFloodAtOnce(t *testing.T) {
	ctx := context.Background()
	st, sites := sitesStore(t, "flood0.example", "flood1.example", "flood2.example", "flood3.example", "quiet.example")
	flooded, calm := sites[:4], sites[4]
	c := &clock{t: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	// Each flooded site may hold 1 500 cells, four of them 6 000: past
	// the bound of 4 000 in all.
	const maxCells, siteCells, perSite = 4_000, 1_500, 5_000
	agg := aggregate.New(aggregate.Config{Checkpoint: time.Hour, MaxValues: 1 << 30, SiteCells: siteCells, MaxCells: maxCells}, st, c.Now, quiet)
	defer agg.Close(ctx)
	add := func(h aggregate.Hit) {
		for !agg.Add(h) {
			agg.Sync(ctx)
		}
	}
	for i := range perSite {
		for n, s := range flooded {
			var k aggregate.Key
			k[aggregate.Hostname], k[aggregate.Event] = s.Domain, "pageview"
			k[aggregate.Page] = fmt.Sprintf("/p/%d", i)
			add(aggregate.Hit{Site: s.ID, Time: c.Now(), Visitor: uint64(1 + n*perSite + i), Key: k})
		}
		if i%25 == 0 && i >= perSite/2 { // the quiet site's hits come once the bound is full
			var k aggregate.Key
			k[aggregate.Hostname], k[aggregate.Event] = calm.Domain, "pageview"
			k[aggregate.Page] = fmt.Sprintf("/page/%d", (i/25)%20)
			add(aggregate.Hit{Site: calm.ID, Time: c.Now(), Visitor: uint64(1_000_000 + (i/25)%10), Key: k})
		}
	}
	agg.Sync(ctx)
	if s := agg.Stats(); s.OpenCells < maxCells {
		t.Fatalf("%d cells open: the floods did not fill the bound of %d, the test tests nothing", s.OpenCells, maxCells)
	} else if s.OpenCells > maxCells+maxCells/8+2*5 {
		t.Errorf("%d cells open, past the bound %d and its eighth", s.OpenCells, maxCells)
	}
	if err := agg.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	day := aggregate.Day(c.Now(), time.UTC)
	eng := aggregate.NewEngine(st, nil)
	pages := func(site account.Site) map[string]float64 {
		t.Helper()
		d, err := aggregate.ParseDimension("event:page", day, day)
		if err != nil {
			t.Fatal(err)
		}
		res, err := eng.Run(ctx, aggregate.Query{Site: site, From: day, To: day, Limit: 100_000,
			Metrics: []aggregate.Metric{aggregate.Pageviews}, Dimensions: []aggregate.Dimension{d}})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, r := range res.Rows {
			out[r.Dimensions[0]] = float64(r.Metrics[0])
		}
		return out
	}
	got := pages(calm)
	if len(got) != 20 {
		t.Errorf("quiet site: %d pages, want its 20 (no (other)): %v", len(got), got)
	}
	for p, n := range got {
		if n != 5 {
			t.Errorf("quiet site page %s: %v pageviews, want 5", p, n)
		}
	}
	for _, s := range flooded {
		total := 0.0
		rows := pages(s)
		for _, n := range rows {
			total += n
		}
		if total != perSite {
			t.Errorf("%s: pages add up to %v, want %d", s.Domain, total, perSite)
		}
		if rows[aggregate.Other] == 0 {
			t.Errorf("%s: nothing in (other); the bound did not fold", s.Domain)
		}
	}
}
