package storetest

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
)

var (
	all   = []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews, aggregate.Events}
	day0  = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday
	day0s = "2026-11-02"
)

func wantTotals(t *testing.T, what string, got []float64, want ...float64) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func wantBreakdown(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func addSite(t *testing.T, st aggregate.Store, domain, tz string) account.Site {
	t.Helper()
	return ok(st.AddSite(bg, account.Site{Domain: domain, Timezone: tz}))(t)
}

func testStandard(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	FeedAll(t, st, Standard(site.ID, day0.Add(10*time.Hour)))

	q := Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews,
		aggregate.Events, aggregate.BounceRate, aggregate.ViewsPerVisit, aggregate.VisitDuration}}
	wantTotals(t, "visitors, visits, pageviews, events, bounce rate, views per visit, duration",
		Totals(t, st, site, q), 10, 10, 30, 30, 0, 3, 120)

	q = Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews}}
	pages := Query(t, st, site, Q{From: day0s, To: day0s, Metrics: q.Metrics, Dimensions: []string{"event:page"}})
	want := []aggregate.Row{
		{Dimensions: []string{"/"}, Metrics: []aggregate.Number{10, 10}},
		{Dimensions: []string{"/docs"}, Metrics: []aggregate.Number{10, 10}},
		{Dimensions: []string{"/pricing"}, Metrics: []aggregate.Number{10, 10}},
	}
	if !reflect.DeepEqual(pages.Rows, want) || pages.TotalRows != 3 {
		t.Fatalf("pages = %+v, want %+v", pages, want)
	}
	q.Dimensions = []string{"visit:browser"}
	wantBreakdown(t, "visitors by browser", Breakdown(t, st, site, q), map[string]float64{"Chrome": 4, "Firefox": 3, "Safari": 3})
	q.Dimensions = []string{"visit:utm_source"}
	wantBreakdown(t, "visitors by utm_source", Breakdown(t, st, site, q), map[string]float64{"newsletter": 10})
	q.Dimensions = []string{"visit:entry_page"}
	wantBreakdown(t, "visitors by entry page", Breakdown(t, st, site, q), map[string]float64{"/": 10})
	q.Dimensions = []string{"visit:exit_page"}
	wantBreakdown(t, "visitors by exit page", Breakdown(t, st, site, q), map[string]float64{"/docs": 10})
	q.Dimensions = []string{"visit:device", "visit:os"}
	wantBreakdown(t, "visitors by device and OS", Breakdown(t, st, site, q),
		map[string]float64{"Desktop|Windows": 4, "Desktop|Linux": 3, "Mobile|iOS": 3})
	q.Dimensions = []string{"time:hour"}
	wantBreakdown(t, "visitors by hour", Breakdown(t, st, site, q), map[string]float64{"2026-11-02 10:00:00": 10})
}

// testMultiDay crosses two UTC midnights: each day's visitor keys differ (the
// salt rotates), so a range's visitors are the sum of the daily counts.
func testMultiDay(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	var hits []aggregate.Hit
	for d := 0; d < 3; d++ {
		hits = append(hits, Standard(site.ID, day0.AddDate(0, 0, d).Add(23*time.Hour+30*time.Minute))...)
	}
	FeedAll(t, st, hits)
	q := Q{From: day0s, To: "2026-11-04", Metrics: all}
	wantTotals(t, "three days", Totals(t, st, site, q), 30, 30, 90, 90)
	wantTotals(t, "the middle day", Totals(t, st, site, Q{From: "2026-11-03", To: "2026-11-03", Metrics: all}), 10, 10, 30, 30)
	wantTotals(t, "a week with the three days", Totals(t, st, site, Q{From: "2026-10-30", To: "2026-11-05", Metrics: all}), 30, 30, 90, 90)
	q.Dimensions = []string{"time:day"}
	wantBreakdown(t, "visitors by day", Breakdown(t, st, site, q),
		map[string]float64{"2026-11-02": 10, "2026-11-03": 10, "2026-11-04": 10})
	q.Dimensions = []string{"visit:browser"}
	wantBreakdown(t, "visitors by browser over three days", Breakdown(t, st, site, q),
		map[string]float64{"Chrome": 12, "Firefox": 9, "Safari": 9})
	q.Dimensions = []string{"time:week"}
	wantBreakdown(t, "visitors by week", Breakdown(t, st, site, q), map[string]float64{"2026-11-02": 30})
}

// testTimezones puts the same UTC instants into sites of several zones: days
// (and the range they bound) are the site's.
func testTimezones(t *testing.T, st aggregate.Store) {
	// UTC instants and the local day each falls on, per zone.
	instants := []time.Time{
		time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC),  // NY: Nov 1 22:00; Kolkata: Nov 2 08:30; Auckland: Nov 2 16:00
		time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC), // NY: Nov 2 07:00; Kolkata: Nov 2 17:30; Auckland: Nov 3 01:00
		time.Date(2026, 11, 2, 20, 0, 0, 0, time.UTC), // NY: Nov 2 15:00; Kolkata: Nov 3 01:30; Auckland: Nov 3 09:00
	}
	for _, c := range []struct {
		tz   string
		days map[string]float64
	}{
		{"UTC", map[string]float64{"2026-11-02": 3}},
		{"America/New_York", map[string]float64{"2026-11-01": 1, "2026-11-02": 2}},
		{"Asia/Kolkata", map[string]float64{"2026-11-02": 2, "2026-11-03": 1}},
		{"Pacific/Auckland", map[string]float64{"2026-11-02": 1, "2026-11-03": 2}},
	} {
		site := addSite(t, st, strings.ToLower(strings.ReplaceAll(c.tz, "/", "-"))+".example", c.tz)
		var hits []aggregate.Hit
		for i, at := range instants {
			var k aggregate.Key
			k[aggregate.Event], k[aggregate.Page] = aggregate.PageviewEvent, "/"
			hits = append(hits, aggregate.Hit{Site: site.ID, Time: at, Visitor: VisitorKey(i, at), Key: k})
		}
		FeedAll(t, st, hits)
		q := Q{From: "2026-10-31", To: "2026-11-04", Metrics: []aggregate.Metric{aggregate.Pageviews}, Dimensions: []string{"time:day"}}
		wantBreakdown(t, c.tz+": pageviews by local day", Breakdown(t, st, site, q), c.days)
		for day, n := range c.days {
			wantTotals(t, c.tz+": pageviews of "+day, Totals(t, st, site, Q{From: day, To: day, Metrics: q.Metrics}), n)
		}
		q.Dimensions = []string{"time:hour_of_day"}
		hours := map[string]float64{}
		for _, at := range instants {
			hours[fmt.Sprint(at.In(site.Location()).Hour())]++
		}
		wantBreakdown(t, c.tz+": pageviews by local hour", Breakdown(t, st, site, q), hours)
	}
}

// filterCases returns, for every dimension, a filter with every operator,
// with values taken from hits so that each matches something.
func filterCases(t *testing.T, hits []aggregate.Hit) []aggregate.Filter {
	var out []aggregate.Filter
	for d := aggregate.Dim(0); int(d) < aggregate.NumDims; d++ {
		// Two shown values of the dimension: the first hit's, and another.
		a, b := "", ""
		for _, h := range hits {
			v := h.Key[d]
			if d == aggregate.EntryPage || d == aggregate.ExitPage {
				v = h.Key[aggregate.Page]
			}
			v = display(d, v)
			if a == "" {
				a = v
			} else if v != a {
				b = v
				break
			}
		}
		if b == "" {
			b = a
		}
		part := strings.ToUpper(a[len(a)/3 : len(a)/3+max(1, len(a)/3)]) // case-insensitive
		prefix := "^" + regexp.QuoteMeta(a[:min(2, len(a))])
		for _, f := range []struct {
			op     string
			values []string
		}{
			{aggregate.OpIs, []string{a}},
			{aggregate.OpIs, []string{a, b}},
			{aggregate.OpIsNot, []string{a}},
			{aggregate.OpContains, []string{part}},
			{aggregate.OpContainsNot, []string{part}},
			{aggregate.OpMatches, []string{prefix}},
			{aggregate.OpMatchesNot, []string{prefix, "^zz"}},
		} {
			out = append(out, MustFilter(t, f.op, d, f.values...))
		}
	}
	return out
}

// testFilters checks every operator on every dimension against expect, which
// computes the answer from the hits without the aggregator.
func testFilters(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	hits := Mixed(site.ID, day0)
	FeedAll(t, st, hits)
	for _, f := range filterCases(t, hits) {
		want := expect(hits, f)
		if f.Op == aggregate.OpIs && want.Visitors == 0 {
			t.Fatalf("filter %s is %q matches no visitor: the case tests nothing", f.Dim, f.Values)
		}
		q := Q{From: day0s, To: day0s, Metrics: all, Filters: []aggregate.Filter{f}}
		got := Totals(t, st, site, q)
		if !exact(site, q) && got[0] >= want.Visitors && got[0] <= want.Events {
			// The documented approximation (docs/metrics.md): a visitor
			// counts once per value the filter lets through, at most once
			// per event.
			got[0] = want.Visitors
		}
		if !reflect.DeepEqual(got, []float64{want.Visitors, want.Visits, want.Pageviews, want.Events}) {
			t.Errorf("filter %s %s %q (exact %v): visitors, visits, pageviews, events = %v, want %+v", f.Dim, f.Op, f.Values, exact(site, q), got, want)
		}
	}
	// Filters combine with AND, and with any breakdown.
	fs := []aggregate.Filter{MustFilter(t, aggregate.OpIsNot, aggregate.Browser, "Chrome"), MustFilter(t, aggregate.OpContains, aggregate.Page, "docs")}
	rows := Breakdown(t, st, site, Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Pageviews}, Filters: fs, Dimensions: []string{"visit:browser"}})
	want := map[string]float64{}
	for _, h := range hits {
		if h.IsPageview() && h.Key[aggregate.Browser] != "Chrome" && strings.Contains(h.Key[aggregate.Page], "docs") {
			want[h.Key[aggregate.Browser]]++
		}
	}
	wantBreakdown(t, "non-Chrome pageviews of docs pages by browser", rows, want)
}

func testPagination(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	hits := Mixed(site.ID, day0)
	FeedAll(t, st, hits)
	pv := map[string]float64{}
	for _, h := range hits {
		if h.IsPageview() {
			pv[h.Key[aggregate.Page]]++
		}
	}
	base := Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Pageviews, aggregate.Visitors}, Dimensions: []string{"event:page"}}
	full := Query(t, st, site, base)
	if full.TotalRows != len(pv) || len(full.Rows) != len(pv) {
		t.Fatalf("pages: %d rows (total %d), want %d", len(full.Rows), full.TotalRows, len(pv))
	}
	for i, r := range full.Rows {
		if float64(r.Metrics[0]) != pv[r.Dimensions[0]] {
			t.Fatalf("pageviews of %s = %v, want %v", r.Dimensions[0], r.Metrics[0], pv[r.Dimensions[0]])
		}
		// Default order: first metric descending, then the value ascending.
		if i > 0 {
			p := full.Rows[i-1]
			if p.Metrics[0] < r.Metrics[0] || (p.Metrics[0] == r.Metrics[0] && p.Dimensions[0] > r.Dimensions[0]) {
				t.Fatalf("default order broken at row %d: %+v", i, full.Rows)
			}
		}
	}
	q := base
	q.Limit, q.Offset = 2, 1
	page := Query(t, st, site, q)
	if !page.More || page.TotalRows != 0 || !reflect.DeepEqual(page.Rows, full.Rows[1:3]) {
		t.Fatalf("limit 2 offset 1 = %+v, want rows 1–2 of %+v, more, not counted", page, full.Rows)
	}
	q.CountRows = true
	if page := Query(t, st, site, q); !page.More || page.TotalRows != len(pv) || !reflect.DeepEqual(page.Rows, full.Rows[1:3]) {
		t.Fatalf("limit 2 offset 1, counted = %+v, want rows 1–2 of %+v and total %d", page, full.Rows, len(pv))
	}
	last := q
	last.Offset = len(pv) - 2
	if page := Query(t, st, site, last); page.More || page.TotalRows != len(pv) || !reflect.DeepEqual(page.Rows, full.Rows[len(pv)-2:]) {
		t.Fatalf("the last page = %+v, want the last two rows, no more, total %d", page, len(pv))
	}
	q.Offset = len(pv)
	if page := Query(t, st, site, q); len(page.Rows) != 0 || page.More || page.TotalRows != len(pv) {
		t.Fatalf("offset past the end = %+v, want no rows and total %d", page, len(pv))
	}
	q = base
	q.OrderBy = []aggregate.Order{{By: "event:page", Desc: true}}
	byPage := Query(t, st, site, q)
	for i := 1; i < len(byPage.Rows); i++ {
		if byPage.Rows[i-1].Dimensions[0] <= byPage.Rows[i].Dimensions[0] {
			t.Fatalf("order by page descending broken: %+v", byPage.Rows)
		}
	}
	q.OrderBy = []aggregate.Order{{By: "visitors"}, {By: "event:page"}}
	byVisitors := Query(t, st, site, q)
	for i := 1; i < len(byVisitors.Rows); i++ {
		p, r := byVisitors.Rows[i-1], byVisitors.Rows[i]
		if p.Metrics[1] > r.Metrics[1] || (p.Metrics[1] == r.Metrics[1] && p.Dimensions[0] > r.Dimensions[0]) {
			t.Fatalf("order by visitors ascending, then page, broken: %+v", byVisitors.Rows)
		}
	}
	// Time dimensions sort ascending by default.
	hours := Query(t, st, site, Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.Pageviews}, Dimensions: []string{"time:hour"}})
	for i := 1; i < len(hours.Rows); i++ {
		if hours.Rows[i-1].Dimensions[0] >= hours.Rows[i].Dimensions[0] {
			t.Fatalf("hours out of order: %+v", hours.Rows)
		}
	}
}

func testSiteDelete(t *testing.T, st aggregate.Store) {
	gone := addSite(t, st, "gone.example", "UTC")
	kept := addSite(t, st, "kept.example", "UTC")
	FeedAll(t, st, append(Standard(gone.ID, day0.Add(10*time.Hour)), Standard(kept.ID, day0.Add(11*time.Hour))...))
	q := Q{From: day0s, To: day0s, Metrics: all}
	wantTotals(t, "site to delete, before", Totals(t, st, gone, q), 10, 10, 30, 30)
	if err := st.DeleteSite(bg, gone.ID); err != nil {
		t.Fatal(err)
	}
	wantTotals(t, "deleted site", Totals(t, st, gone, q), 0, 0, 0, 0)
	wantTotals(t, "the other site", Totals(t, st, kept, q), 10, 10, 30, 30)
	// A checkpoint that raced the deletion cannot bring the site back.
	late := aggregate.Cell{Site: gone.ID, Hour: day0.Add(12 * time.Hour), Counters: aggregate.Counters{Pageviews: 1}}
	write(t, st, "late", 1, late)
	wantTotals(t, "deleted site after a late checkpoint", Totals(t, st, gone, q), 0, 0, 0, 0)
}

// testRestart: a new aggregator (a restarted process, a fresh instance id)
// on the same store adds to what the old one wrote, and an engine that sees
// open cells counts them once.
func testRestart(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	hits := Standard(site.ID, day0.Add(10*time.Hour))
	first, second := hits[:15], hits[15:] // visitors 0–4, then 5–9
	FeedAll(t, st, first)
	q := Q{From: day0s, To: day0s, Metrics: all}
	wantTotals(t, "after the first process", Totals(t, st, site, q), 5, 5, 15, 15)

	clock := &Clock{}
	clock.Set(second[0].Time)
	agg := NewAggregator(st, clock)
	Feed(t, agg, clock, second)
	engine := aggregate.NewEngine(st, agg)
	got := QueryWith(t, engine, site, q).Rows[0].Metrics
	if !reflect.DeepEqual(got, []aggregate.Number{10, 10, 30, 30}) {
		t.Fatalf("open and stored cells = %v, want 10 10 30 30", got)
	}
	if err := agg.Checkpoint(bg); err != nil {
		t.Fatal(err)
	}
	got = QueryWith(t, engine, site, q).Rows[0].Metrics
	if !reflect.DeepEqual(got, []aggregate.Number{10, 10, 30, 30}) {
		t.Fatalf("after a checkpoint, open and stored cells = %v, want 10 10 30 30", got)
	}
	if err := agg.Close(bg); err != nil {
		t.Fatal(err)
	}
	wantTotals(t, "after the second process", Totals(t, st, site, q), 10, 10, 30, 30)
}

// testInstances: two instances (two processes sharing the store, or one
// restarted) store counts for the same days and values, and they add up.
// Each instance decides first occurrences from its own memory (and, in
// production, its own salt), so a visitor that both see on one day counts
// once in each: routing keeps a client on one instance (docs/clickhouse.md).
func testInstances(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	day1, day2 := day0.AddDate(0, 0, 1), day0.AddDate(0, 0, 2)
	// Day 0: instance A sees the ten visitors in the morning, instance B the
	// same ten again in the afternoon. Day 1: A alone. Day 2: A, and B with
	// only anonymous hits (no visitor, an empty sketch).
	anon := Standard(site.ID, day2.Add(15*time.Hour))
	for i := range anon {
		anon[i].Visitor = 0
	}
	FeedAll(t, st, append(Standard(site.ID, day0.Add(9*time.Hour)), append(Standard(site.ID, day1.Add(9*time.Hour)),
		Standard(site.ID, day2.Add(9*time.Hour))...)...))
	FeedAll(t, st, append(Standard(site.ID, day0.Add(15*time.Hour)), anon...))

	q := Q{From: day0s, To: "2026-11-04", Metrics: all}
	wantTotals(t, "three days, two instances", Totals(t, st, site, q), 40, 40, 150, 150)
	wantTotals(t, "the day both saw", Totals(t, st, site, Q{From: day0s, To: day0s, Metrics: all}), 20, 20, 60, 60)
	q.Dimensions = []string{"time:day"}
	wantBreakdown(t, "visitors by day", Breakdown(t, st, site, q),
		map[string]float64{"2026-11-02": 20, "2026-11-03": 10, "2026-11-04": 10})
	q.Dimensions = []string{"visit:browser"}
	wantBreakdown(t, "visitors by browser", Breakdown(t, st, site, q), map[string]float64{"Chrome": 16, "Firefox": 12, "Safari": 12})
	q.Dimensions = []string{"event:page"}
	q.Filters = []aggregate.Filter{MustFilter(t, aggregate.OpIsNot, aggregate.Page, "/docs")}
	wantBreakdown(t, "visitors by page, without /docs", Breakdown(t, st, site, q), map[string]float64{"/": 40, "/pricing": 40})
	q.Filters = nil

	// A third instance, still open: its rows in memory, older copies of some
	// of them stored, and the other instances' rows of the same day.
	clock := &Clock{}
	more := Standard(site.ID, day1.Add(18*time.Hour))
	clock.Set(more[0].Time)
	agg := NewAggregator(st, clock)
	Feed(t, agg, clock, more[:15])
	if err := agg.Checkpoint(bg); err != nil {
		t.Fatal(err)
	}
	Feed(t, agg, clock, more[15:])
	engine := aggregate.NewEngine(st, agg)
	q.Dimensions = []string{"time:day"}
	res := QueryWith(t, engine, site, q)
	if got := res.Rows[1]; got.Dimensions[0] != "2026-11-03" || got.Metrics[0] != 20 || got.Metrics[1] != 20 {
		t.Fatalf("day 1 with an open instance = %+v, want 20 visitors, 20 visits", got)
	}
	if err := agg.Close(bg); err != nil {
		t.Fatal(err)
	}
	wantTotals(t, "after the third instance", Totals(t, st, site, Q{From: day0s, To: "2026-11-04", Metrics: all}), 50, 50, 180, 180)
}

func testRetention(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	var hits []aggregate.Hit
	for _, d := range []time.Time{day0.AddDate(0, -2, 0), day0.AddDate(0, -1, 0), day0} {
		hits = append(hits, Standard(site.ID, d.Add(10*time.Hour))...)
	}
	FeedAll(t, st, hits)
	q := Q{From: "2026-09-01", To: "2026-11-30", Metrics: all}
	wantTotals(t, "three months", Totals(t, st, site, q), 30, 30, 90, 90)
	if err := st.DropBefore(bg, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	wantTotals(t, "after dropping September", Totals(t, st, site, q), 20, 20, 60, 60)
	wantTotals(t, "September", Totals(t, st, site, Q{From: "2026-09-01", To: "2026-09-30", Metrics: all}), 0, 0, 0, 0)
}
