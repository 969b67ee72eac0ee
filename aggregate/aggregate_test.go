package aggregate_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/sqlite"
)

// clock is the fake clock the aggregator reads.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type fixture struct {
	t     *testing.T
	ctx   context.Context
	store *sqlite.Store
	clock *clock
	agg   *aggregate.Aggregator
	site  account.Site
}

func newFixture(t *testing.T, start time.Time, tz string) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	site, err := st.AddSite(ctx, account.Site{Domain: "example.com", Timezone: tz, Created: start})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, store: st, clock: &clock{t: start}, site: site}
	f.agg = aggregate.New(aggregate.Config{Checkpoint: time.Hour}, st, f.clock.Now, quiet)
	t.Cleanup(func() { f.agg.Close(ctx) })
	return f
}

// sitesStore opens a fresh embedded store holding a UTC site for each
// domain, in order; the store closes when the test ends.
func sitesStore(t *testing.T, domains ...string) (*sqlite.Store, []account.Site) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sites := make([]account.Site, len(domains))
	for i, d := range domains {
		if sites[i], err = st.AddSite(ctx, account.Site{Domain: d, Timezone: "UTC"}); err != nil {
			t.Fatal(err)
		}
	}
	return st, sites
}

// hit sends one hit at the clock's current time.
func (f *fixture) hit(visitor uint64, event, page string, dims map[aggregate.Dim]string) {
	var k aggregate.Key
	k[aggregate.Hostname] = "example.com"
	k[aggregate.Page] = page
	k[aggregate.Event] = event
	for d, v := range dims {
		k[d] = v
	}
	if !f.agg.Add(aggregate.Hit{Site: f.site.ID, Time: f.clock.Now(), Visitor: visitor, Key: k, Zone: f.site.Location()}) {
		f.t.Fatal("hit refused")
	}
}

func (f *fixture) at(s string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		f.t.Fatal(err)
	}
	f.clock.Set(t)
}

func (f *fixture) checkpoint() {
	if err := f.agg.Checkpoint(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

// query runs a query over [from, to] (site-local days) and returns rows as
// dimension-joined keys → metrics.
func (f *fixture) query(from, to string, metrics []aggregate.Metric, dims []string, filters ...aggregate.Filter) []aggregate.Row {
	f.t.Helper()
	loc := f.site.Location()
	q := aggregate.Query{Site: f.site, Metrics: metrics, Filters: filters}
	var err error
	if q.From, err = aggregate.ParseDay(from, loc); err != nil {
		f.t.Fatal(err)
	}
	if q.To, err = aggregate.ParseDay(to, loc); err != nil {
		f.t.Fatal(err)
	}
	for _, d := range dims {
		dd, err := aggregate.ParseDimension(d, q.From, q.To)
		if err != nil {
			f.t.Fatal(err)
		}
		q.Dimensions = append(q.Dimensions, dd)
	}
	eng := aggregate.NewEngine(f.store, f.agg)
	res, err := eng.Run(f.ctx, q)
	if err != nil {
		f.t.Fatal(err)
	}
	cells, err := eng.WithoutRollups().Run(f.ctx, q)
	if err != nil {
		f.t.Fatal(err)
	}
	if !reflect.DeepEqual(res, cells) {
		f.t.Fatalf("rollups %+v and cells %+v disagree", res.Rows, cells.Rows)
	}
	return res.Rows
}

var all = []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews, aggregate.BounceRate, aggregate.VisitDuration, aggregate.ViewsPerVisit, aggregate.Events}

func expect(t *testing.T, what string, got []aggregate.Number, want ...float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	for i := range want {
		if float64(got[i]) != want[i] {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

func TestVisitSemantics(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	// A: three pages over 20 minutes. B: one page (a bounce).
	f.at("2026-11-20T10:00:00Z")
	f.hit(1, "pageview", "/a", map[aggregate.Dim]string{aggregate.Source: "Google"})
	f.hit(2, "pageview", "/a", nil)
	f.at("2026-11-20T10:05:00Z")
	f.hit(1, "pageview", "/b", map[aggregate.Dim]string{aggregate.Source: "Bing"}) // not a new visit: source stays Google
	f.at("2026-11-20T10:20:00Z")
	f.hit(1, "Signup", "/b", nil)
	f.hit(1, "pageview", "/c", nil)

	rows := f.query("2026-11-20", "2026-11-20", all, nil)
	// visitors 2, visits 2, pageviews 4, bounce 1/2, duration (1200+0)/2, views/visit 4/2, events 5
	expect(t, "totals", rows[0].Metrics, 2, 2, 4, 50, 600, 2, 5)

	bySource := f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews}, []string{"visit:source"})
	if len(bySource) != 2 || bySource[0].Dimensions[0] != "Google" && bySource[1].Dimensions[0] != "Google" {
		t.Fatalf("sources: %+v", bySource)
	}
	for _, r := range bySource {
		switch r.Dimensions[0] {
		case "Google":
			expect(t, "Google", r.Metrics, 1, 1, 3) // every hit of the visit carries its first source
		case aggregate.NoneSource:
			expect(t, "direct", r.Metrics, 1, 1, 1)
		default:
			t.Fatalf("unexpected source %q", r.Dimensions[0])
		}
	}

	entry := f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visits}, []string{"visit:entry_page"})
	expect(t, "entry /a", entry[0].Metrics, 2)

	// Visits in progress exit from their latest page (TestExitOfOpenVisit);
	// their visitors count when they end.
	open := f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visitors, aggregate.Visits}, []string{"visit:exit_page"})
	if len(open) != 2 || open[0].Dimensions[0] != "/a" || open[1].Dimensions[0] != "/c" {
		t.Fatalf("exits of the open visits: %+v", open)
	}
	expect(t, "open exit /c", open[1].Metrics, 0, 1)
	f.at("2026-11-20T10:51:00Z")
	f.checkpoint()
	exits := f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visitors, aggregate.Visits}, []string{"visit:exit_page"})
	if len(exits) != 2 || exits[0].Dimensions[0] != "/a" || exits[1].Dimensions[0] != "/c" {
		t.Fatalf("exit pages: %+v", exits)
	}
	expect(t, "exit /c", exits[1].Metrics, 1, 1)

	// The exits changed no other number.
	expect(t, "totals after exits", f.query("2026-11-20", "2026-11-20", all, nil)[0].Metrics, 2, 2, 4, 50, 600, 2, 5)
}

// An open visit's exit is at its latest page and moves with it, within a
// checkpoint; ending the visit adds its visitor there and no second exit.
func TestExitOfOpenVisit(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	exits := func() map[string][2]float64 {
		out := map[string][2]float64{}
		for _, r := range f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visitors, aggregate.Visits}, []string{"visit:exit_page"}) {
			out[r.Dimensions[0]] = [2]float64{float64(r.Metrics[0]), float64(r.Metrics[1])}
		}
		return out
	}
	want := func(what string, w map[string][2]float64) {
		t.Helper()
		if got := exits(); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("%s: exits %v, want %v", what, got, w)
		}
	}
	f.at("2026-11-20T10:58:00Z")
	f.hit(1, "pageview", "/a", nil)
	f.checkpoint()
	want("after /a", map[string][2]float64{"/a": {0, 1}})
	f.at("2026-11-20T11:03:00Z") // the next hour: the exit moves across cells
	f.hit(1, "pageview", "/b", nil)
	f.hit(1, "Signup", "/b", nil) // events do not move the exit
	f.checkpoint()
	want("after /b", map[string][2]float64{"/b": {0, 1}})
	f.at("2026-11-20T11:40:00Z")
	f.checkpoint() // the visit ends at /b
	want("ended", map[string][2]float64{"/b": {1, 1}})
	expect(t, "totals", f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews}, nil)[0].Metrics, 1, 1, 2)
}

func TestVisitGap(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	f.at("2026-11-20T10:00:00Z")
	f.hit(1, "pageview", "/a", nil)
	f.at("2026-11-20T10:29:59Z")
	f.hit(1, "pageview", "/b", nil) // same visit
	f.at("2026-11-20T11:00:00Z")
	f.hit(1, "pageview", "/c", nil) // 30 minutes and a second later: a new visit
	rows := f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews, aggregate.BounceRate, aggregate.VisitDuration}, nil)
	expect(t, "totals", rows[0].Metrics, 1, 2, 3, 50, 900) // (1799 + 0) / 2 rounds to 900
}

func TestVisitAcrossHourBoundary(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	f.at("2026-11-20T10:50:00Z")
	f.hit(1, "pageview", "/a", nil)
	f.at("2026-11-20T11:10:00Z")
	f.hit(1, "pageview", "/b", nil)
	f.checkpoint()
	rows := f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visits, aggregate.Pageviews, aggregate.BounceRate, aggregate.VisitDuration}, []string{"time:hour"})
	if len(rows) != 2 {
		t.Fatalf("hours: %+v", rows)
	}
	// The visit, its (cancelled) bounce and its duration stay with its first hour.
	expect(t, "10:00", rows[0].Metrics, 1, 1, 0, 1200)
	expect(t, "11:00", rows[1].Metrics, 0, 1, 0, 0)
}

func TestRestartKeepsCounts(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	for v := uint64(1); v <= 5; v++ {
		f.hit(v*7919, "pageview", "/", nil)
	}
	before := f.query("2026-11-20", "2026-11-20", all, nil)[0].Metrics
	if err := f.agg.Close(f.ctx); err != nil {
		t.Fatal(err)
	}
	// A new process on the same store, same hour: it writes rows of its own.
	f.agg = aggregate.New(aggregate.Config{Checkpoint: time.Hour}, f.store, f.clock.Now, quiet)
	f.hit(99991, "pageview", "/", nil)
	f.checkpoint()
	after := f.query("2026-11-20", "2026-11-20", all, nil)[0].Metrics
	expect(t, "before restart", before, 5, 5, 5, 100, 0, 1, 5)
	expect(t, "after restart", after, 6, 6, 6, 100, 0, 1, 6)
	// Stored cells alone (no aggregator) give the same answer.
	q := aggregate.Query{Site: f.site, Metrics: all, From: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	res, err := aggregate.NewEngine(f.store, nil).Run(f.ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "store only", res.Rows[0].Metrics, 6, 6, 6, 100, 0, 1, 6)
}

func TestMultiDayVisitorsAreSumOfDays(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), "UTC")
	// The same three people on two days: keys differ per day (the salt
	// rotates), so the two-day figure is 3 + 3.
	f.hit(1, "pageview", "/", nil)
	f.hit(2, "pageview", "/", nil)
	f.hit(3, "pageview", "/", nil)
	f.hit(3, "pageview", "/x", nil)
	f.checkpoint()
	f.at("2026-11-21T12:00:00Z")
	f.hit(101, "pageview", "/", nil)
	f.hit(102, "pageview", "/", nil)
	f.hit(103, "pageview", "/", nil)
	rows := f.query("2026-11-20", "2026-11-21", []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews}, nil)
	expect(t, "two days", rows[0].Metrics, 6, 7)
	days := f.query("2026-11-20", "2026-11-21", []aggregate.Metric{aggregate.Visitors}, []string{"time:day"})
	if len(days) != 2 || days[0].Dimensions[0] != "2026-11-20" {
		t.Fatalf("days: %+v", days)
	}
	expect(t, "day 1", days[0].Metrics, 3)
	expect(t, "day 2", days[1].Metrics, 3)
}

func TestSiteTimezoneDays(t *testing.T) {
	// 23:30 UTC on the 20th is already the 21st in Berlin.
	f := newFixture(t, time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC), "Europe/Berlin")
	f.hit(1, "pageview", "/", nil)
	if rows := f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Pageviews}, nil); rows[0].Metrics[0] != 0 {
		t.Fatalf("hit counted on the 20th in Berlin: %+v", rows)
	}
	if rows := f.query("2026-11-21", "2026-11-21", []aggregate.Metric{aggregate.Pageviews}, nil); rows[0].Metrics[0] != 1 {
		t.Fatalf("hit not counted on the 21st in Berlin: %+v", rows)
	}
	rows := f.query("2026-11-21", "2026-11-21", []aggregate.Metric{aggregate.Pageviews}, []string{"time:hour"})
	if rows[0].Dimensions[0] != "2026-11-21 00:00:00" {
		t.Fatalf("local hour label: %+v", rows)
	}
}

func TestFiltersAndPagination(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	pages := []string{"/pricing", "/blog/one", "/blog/two", "/about"}
	for v := uint64(1); v <= 8; v++ {
		for i, p := range pages[:1+int(v)%4] {
			_ = i
			f.hit(v, "pageview", p, map[aggregate.Dim]string{aggregate.Country: []string{"DE", "FR"}[v%2]})
		}
	}
	pv := []aggregate.Metric{aggregate.Pageviews}
	mustFilter := func(op string, d aggregate.Dim, v ...string) aggregate.Filter {
		fl, err := aggregate.NewFilter(op, d, v)
		if err != nil {
			t.Fatal(err)
		}
		return fl
	}
	total := f.query("2026-11-20", "2026-11-20", pv, nil)[0].Metrics[0]
	cases := []struct {
		name string
		f    aggregate.Filter
		want float64
	}{
		{"is", mustFilter("is", aggregate.Page, "/pricing"), 8},
		{"is any of", mustFilter("is", aggregate.Page, "/pricing", "/about"), 10},
		{"is_not", mustFilter("is_not", aggregate.Page, "/pricing"), float64(total) - 8},
		{"contains, case-insensitive", mustFilter("contains", aggregate.Page, "BLOG"), 10},
		{"contains_not", mustFilter("contains_not", aggregate.Page, "blog"), float64(total) - 10},
		{"matches", mustFilter("matches", aggregate.Page, "^/blog/(one|two)$"), 10},
		{"matches_not", mustFilter("matches_not", aggregate.Page, "^/blog/"), float64(total) - 10},
		{"country", mustFilter("is", aggregate.Country, "DE"), 3 + 1 + 3 + 1},
		{"(not set) matches empty", mustFilter("is", aggregate.Region, aggregate.NotSet), float64(total)},
	}
	for _, c := range cases {
		got := f.query("2026-11-20", "2026-11-20", pv, nil, c.f)[0].Metrics[0]
		if float64(got) != c.want {
			t.Errorf("%s: pageviews %v, want %v", c.name, got, c.want)
		}
	}
	if _, err := aggregate.NewFilter("matches", aggregate.Page, []string{"("}); err == nil {
		t.Error("bad pattern accepted")
	}

	// Ordering and pagination.
	loc := f.site.Location()
	day, _ := aggregate.ParseDay("2026-11-20", loc)
	d, _ := aggregate.ParseDimension("event:page", day, day)
	q := aggregate.Query{Site: f.site, From: day, To: day, Metrics: pv, Dimensions: []aggregate.Dimension{d}, Limit: 2, Offset: 1, CountRows: true}
	res, err := aggregate.NewEngine(f.store, f.agg).Run(f.ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalRows != 4 || !res.More || len(res.Rows) != 2 || res.Rows[0].Dimensions[0] != "/blog/one" || res.Rows[1].Dimensions[0] != "/blog/two" {
		t.Fatalf("page 2 of pages by pageviews: %+v", res)
	}
	q.OrderBy = []aggregate.Order{{By: "event:page", Desc: false}}
	q.Limit, q.Offset = 0, 0
	res, _ = aggregate.NewEngine(f.store, f.agg).Run(f.ctx, q)
	if res.Rows[0].Dimensions[0] != "/about" || res.Rows[3].Dimensions[0] != "/pricing" {
		t.Fatalf("ordered by page: %+v", res.Rows)
	}
}

// A visit outlives the hours kept open in memory: its first cell is written
// and forgotten while it goes on, and its later hits, which reuse the cell
// and rollups the previous hit found, must notice and count in open ones.
func TestLongVisitOutlivesOpenHours(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 11; i++ {
		f.clock.Set(start.Add(time.Duration(i) * 25 * time.Minute))
		page := []string{"/a", "/b"}[i%2]
		f.hit(1, "pageview", page, nil)
		f.hit(2, "pageview", page, nil) // a second visitor in step
		f.checkpoint()
	}
	rows := f.query("2026-11-20", "2026-11-20", all, nil)
	// 2 visitors, 2 visits, 22 pageviews, no bounce, 250 minutes each.
	expect(t, "totals", rows[0].Metrics, 2, 2, 22, 0, 15000, 11, 22)
	rows = f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews}, []string{"event:page"})
	if len(rows) != 2 {
		t.Fatalf("pages: %+v", rows)
	}
	expect(t, "/a", rows[0].Metrics, 2, 12)
	expect(t, "/b", rows[1].Metrics, 2, 10)
}

// A visitor-level value that changes within a visit (another language) is
// counted under each value it had, and the visit's reused rollups stay those
// of its first hit's values.
func TestValueChangesWithinVisit(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	for i, lang := range []string{"en", "de", "en", "de"} {
		f.clock.Set(time.Date(2026, 11, 20, 10, i, 0, 0, time.UTC))
		f.hit(1, "pageview", "/", map[aggregate.Dim]string{aggregate.Language: lang})
	}
	f.checkpoint()
	rows := f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews, aggregate.VisitDuration}, []string{"visit:language"})
	if len(rows) != 2 {
		t.Fatalf("languages: %+v", rows)
	}
	// The visit belongs to its first hit's language; the pageviews to each hit's.
	expect(t, "de", rows[0].Metrics, 1, 0, 2, 0) // ties go by value
	expect(t, "en", rows[1].Metrics, 1, 1, 2, 180)
}

// A value holding the key separator would split in two when a cell's key is
// decoded (and the stored row would no longer match its open cell): Add
// strips it, whoever the caller.
func TestKeySeparatorInValue(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "UTC")
	f.hit(1, "pageview", "/", map[aggregate.Dim]string{aggregate.Browser: "Foo\x1fBar", aggregate.Language: "en"})
	f.checkpoint()
	f.hit(2, "pageview", "/", map[aggregate.Dim]string{aggregate.Browser: "Foo\x1fBar", aggregate.Language: "en"})
	rows := f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews}, []string{"visit:browser", "visit:language"})
	if len(rows) != 1 || rows[0].Dimensions[0] != "FooBar" || rows[0].Dimensions[1] != "en" {
		t.Fatalf("rows: %+v", rows)
	}
	expect(t, "FooBar", rows[0].Metrics, 2, 2)
}

// The salt lives in memory only and is replaced by a timer at 00:00 UTC,
// by the clock alone: no event needs to arrive after midnight.
func TestSaltRenewedAtMidnightByTheClock(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 20, 23, 59, 59, 900_000_000, time.UTC)}
	salts := aggregate.NewSalts(c.Now)
	defer salts.Close()
	var s1, again [aggregate.SaltSize]byte
	salts.Copy(c.Now(), &s1)
	salts.Copy(c.Now(), &again)
	if s1 != again || s1 == ([aggregate.SaltSize]byte{}) {
		t.Fatalf("same day, salts %x and %x", s1, again)
	}
	c.Set(time.Date(2026, 11, 21, 0, 0, 0, 1, time.UTC))
	deadline := time.Now().Add(5 * time.Second)
	for salts.Day().Day() != 21 {
		if time.Now().After(deadline) {
			t.Fatal("the salt was not renewed at midnight without an event")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var s2 [aggregate.SaltSize]byte
	salts.Copy(c.Now(), &s2)
	if s2 == s1 {
		t.Fatal("the new day has yesterday's salt")
	}
}

// A visitor counts in each of the site's local days it is seen in, and in
// each hour: a New York site whose visitor comes at 03:00Z (22:00 the day
// before, local) and 15:00Z counts it on both local days and both hours.
func TestVisitorsByLocalDayAndHour(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 3, 3, 0, 0, 0, time.UTC), "America/New_York")
	f.hit(1, "pageview", "/", nil)
	f.at("2026-11-03T15:00:00Z")
	f.hit(1, "pageview", "/", nil)
	f.at("2026-11-03T15:10:00Z")
	f.hit(1, "pageview", "/b", nil)
	f.checkpoint()
	rows := f.query("2026-11-02", "2026-11-03", []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews}, []string{"time:day"})
	if len(rows) != 2 {
		t.Fatalf("days: %+v", rows)
	}
	expect(t, "2026-11-02", rows[0].Metrics, 1, 1)
	expect(t, "2026-11-03", rows[1].Metrics, 1, 2)
	rows = f.query("2026-11-03", "2026-11-03", []aggregate.Metric{aggregate.Visitors}, []string{"time:hour"})
	if len(rows) != 1 || rows[0].Dimensions[0] != "2026-11-03 10:00:00" {
		t.Fatalf("hours: %+v", rows)
	}
	expect(t, "10:00 local", rows[0].Metrics, 1)
	f.at("2026-11-03T16:20:00Z")
	f.hit(1, "pageview", "/b", nil)
	f.checkpoint()
	rows = f.query("2026-11-03", "2026-11-03", []aggregate.Metric{aggregate.Visitors}, []string{"time:hour"})
	if len(rows) != 2 {
		t.Fatalf("hours: %+v", rows)
	}
	expect(t, "11:00 local", rows[1].Metrics, 1)
}

// Visits cannot go on past 00:00 UTC (the visitor's key changes with the
// salt): they end then, and their exit counts against the day they were in.
func TestVisitsEndAtMidnight(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 23, 50, 0, 0, time.UTC), "UTC")
	f.hit(1, "pageview", "/a", nil)
	f.at("2026-11-21T00:05:00Z")
	f.hit(2, "pageview", "/b", nil)
	f.checkpoint()
	rows := f.query("2026-11-20", "2026-11-20", []aggregate.Metric{aggregate.Visitors, aggregate.Visits}, []string{"visit:exit_page"})
	if len(rows) != 1 || rows[0].Dimensions[0] != "/a" {
		t.Fatalf("exit pages of the 20th: %+v", rows)
	}
	expect(t, "/a", rows[0].Metrics, 1, 1)
	f.at("2026-11-21T01:00:00Z")
	f.checkpoint()
	rows = f.query("2026-11-20", "2026-11-21", []aggregate.Metric{aggregate.Visitors, aggregate.Visits}, []string{"visit:exit_page"})
	if len(rows) != 2 {
		t.Fatalf("exit pages: %+v", rows)
	}
	expect(t, "/a", rows[0].Metrics, 1, 1)
	expect(t, "/b", rows[1].Metrics, 1, 1)
}

// One client posting endless new pages for one site cannot use up the
// day's first-occurrence set for the others.
func TestFirstsBoundedPerVisitorAndSite(t *testing.T) {
	ctx := context.Background()
	st, sites := sitesStore(t, "a.example", "b.example")
	attacked, other := sites[0], sites[1]
	c := &clock{t: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	agg := aggregate.New(aggregate.Config{Checkpoint: time.Hour, MaxFirsts: 100_000}, st, c.Now, quiet)
	defer agg.Close(ctx)
	var k aggregate.Key
	k[aggregate.Event] = "pageview"
	for i := range 30_000 {
		k[aggregate.Page] = fmt.Sprintf("/p/%d", i)
		for !agg.Add(aggregate.Hit{Site: attacked.ID, Time: c.Now(), Visitor: uint64(1 + i%20), Key: k}) {
			agg.Sync(ctx)
		}
	}
	k[aggregate.Page] = "/"
	for v := range 100 {
		agg.Add(aggregate.Hit{Site: other.ID, Time: c.Now(), Visitor: uint64(1000 + v), Key: k})
	}
	if err := agg.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	day := aggregate.Day(c.Now(), time.UTC)
	res, err := aggregate.NewEngine(st, nil).Run(ctx, aggregate.Query{Site: other, From: day, To: day, Metrics: []aggregate.Metric{aggregate.Visitors}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "the other site's visitors", res.Rows[0].Metrics, 100)
	if st := agg.Stats(); st.FirstsFull == 0 || st.Firsts > 100_000 {
		t.Fatalf("stats %+v: want the attacker's combinations refused and the set within its bound", st)
	}
}

// Queries whose range crosses a year end in a zone with daylight saving
// time compile (Go's zone rules once gave a zone period ending where it
// began, and the offsets loop never ended).
func TestCompileAcrossYearEnds(t *testing.T) {
	for _, tz := range []string{"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		for _, y := range []int{2024, 2040, 2041} {
			q := aggregate.Query{Site: account.Site{Timezone: tz}, From: time.Date(y, 12, 1, 0, 0, 0, 0, loc),
				To: time.Date(y+1, 1, 31, 0, 0, 0, 0, loc), Metrics: []aggregate.Metric{aggregate.Visitors},
				Dimensions: []aggregate.Dimension{{Name: "time:day", Grain: aggregate.ByDay}}}
			done := make(chan error, 1)
			go func() { _, err := aggregate.Compile(&q); done <- err }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%s %d: %v", tz, y, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s %d: Compile did not return", tz, y)
			}
		}
	}
}
