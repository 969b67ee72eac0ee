package clickhouse_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
)

// values are what the random cells draw each dimension's value from; ""
// is "(not set)" (or "Direct / None").
var values = [aggregate.NumDims][]string{
	aggregate.Hostname:       {"example.com", "www.example.com"},
	aggregate.Page:           {"/", "/a", "/blog/1", "/blog/22", "/Über-uns", "/pricing", "", `it's a ?`},
	aggregate.Event:          {aggregate.PageviewEvent, aggregate.PageviewEvent, "signup"},
	aggregate.Source:         {"", "", "Google", "Twitter", "news.example"},
	aggregate.Referrer:       {"", "https://www.google.com/", "https://t.co/x"},
	aggregate.UTMSource:      {"", "", "newsletter"},
	aggregate.UTMMedium:      {"", "email"},
	aggregate.UTMCampaign:    {"", "spring", "Spring Sale"},
	aggregate.UTMContent:     {"", "a"},
	aggregate.UTMTerm:        {"", "shoes"},
	aggregate.EntryPage:      {"/", "/a", "/blog/1"},
	aggregate.ExitPage:       {""},
	aggregate.Country:        {"", "FR", "DE", "US", "IN"},
	aggregate.Region:         {"", "FR-IDF", "US-NY"},
	aggregate.Browser:        {"Firefox", "Chrome", "Safari", ""},
	aggregate.BrowserVersion: {"", "120", "121"},
	aggregate.OS:             {"Linux", "Windows", "iOS"},
	aggregate.OSVersion:      {"", "11", "17.1"},
	aggregate.Device:         {"Desktop", "Mobile"},
	aggregate.Language:       {"", "fr", "de", "en"},
}

// randomBatch makes n cells of site in the hours [from, to), a tenth of
// them exit cells, with every counter set at random.
func randomBatch(site int64, from, to time.Time, n int) []aggregate.Cell {
	rng := rand.New(rand.NewPCG(1, 2))
	hours := int(to.Sub(from) / time.Hour)
	out := make([]aggregate.Cell, 0, n)
	for i := 0; i < n; i++ {
		c := aggregate.Cell{Site: site, Hour: from.Add(time.Duration(rng.IntN(hours)) * time.Hour)}
		for d := range c.Key {
			vs := values[d]
			c.Key[d] = vs[rng.IntN(len(vs))]
		}
		if rng.IntN(10) == 0 {
			// An exit cell: the exit page, visit- and visitor-level values.
			c.Key[aggregate.Page], c.Key[aggregate.Event], c.Key[aggregate.Hostname] = "", "", ""
			c.Key[aggregate.ExitPage] = values[aggregate.Page][rng.IntN(6)]
			c.Exits = 1 + rng.Int64N(3)
			c.Uniques[aggregate.UniqueOf(aggregate.ExitPage)] = rng.Int64N(2)
		} else {
			c.Events = 1 + rng.Int64N(3)
			if c.Key[aggregate.Event] == aggregate.PageviewEvent {
				c.Pageviews = c.Events
			}
			c.Visits = rng.Int64N(3)
			c.Bounces = rng.Int64N(3) - 1
			c.Duration = rng.Int64N(400)
			for u := range c.Uniques {
				c.Uniques[u] = rng.Int64N(3)
			}
		}
		out = append(out, c)
	}
	return out
}

// TestStoresAgreeOnPlans writes the same cells to the embedded store and to
// ClickHouse and asks both the same compiled queries: every time grain
// across daylight saving time changes and month ends, every dimension,
// every filter operator with "(not set)", pages, and ordering by every
// metric. The answers must be identical, row for row.
func TestStoresAgreeOnPlans(t *testing.T) {
	lite, click := storetest.SQLite(t), storetest.ClickHouse(t)
	from := time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 4, 4, 0, 0, 0, 0, time.UTC)
	zones := []string{"Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}
	type pair struct{ lite, click account.Site }
	sites := make([]pair, len(zones))
	for i, tz := range zones {
		domain := fmt.Sprintf("s%d.example", i)
		var err error
		if sites[i].lite, err = lite.AddSite(bg, account.Site{Domain: domain, Timezone: tz}); err != nil {
			t.Fatal(err)
		}
		if sites[i].click, err = click.AddSite(bg, account.Site{Domain: domain, Timezone: tz}); err != nil {
			t.Fatal(err)
		}
		cells := randomBatch(0, from, to, 4000)
		for _, p := range []struct {
			st   aggregate.Store
			site int64
		}{{lite, sites[i].lite.ID}, {click, sites[i].click.ID}} {
			for j := range cells {
				cells[j].Site = p.site
			}
			if err := p.st.WriteBatch(bg, aggregate.Batch{Instance: "agree", Seq: uint64(i + 1), Cells: cells}); err != nil {
				t.Fatal(err)
			}
		}
	}

	filter := func(op string, d aggregate.Dim, vs ...string) aggregate.Filter {
		f, err := aggregate.NewFilter(op, d, vs)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	type q struct {
		from, to string
		dims     []string
		filters  []aggregate.Filter
		order    []aggregate.Order
		limit    int
		offset   int
	}
	var qs []q
	whole := func(x q) q { x.from, x.to = "2026-03-01", "2026-03-31"; return x }
	qs = append(qs, whole(q{}), q{from: "2026-03-08", to: "2026-03-08"}, q{from: "2026-03-29", to: "2026-03-29"})
	for _, g := range []string{"time", "time:hour", "time:day", "time:week", "time:month", "time:hour_of_day", "time:day_of_week"} {
		qs = append(qs, whole(q{dims: []string{g}}))
		// The days of the changes in Europe and America, by hour.
		qs = append(qs, q{from: "2026-03-07", to: "2026-03-09", dims: []string{g}}, q{from: "2026-03-28", to: "2026-03-30", dims: []string{g}})
		qs = append(qs, q{from: "2026-02-27", to: "2026-04-02", dims: []string{g}})
	}
	for d := aggregate.Dim(0); int(d) < aggregate.NumDims; d++ {
		qs = append(qs, whole(q{dims: []string{d.String()}}))
	}
	qs = append(qs,
		whole(q{dims: []string{"event:page"}, limit: 3, offset: 2}),
		whole(q{dims: []string{"event:page"}, limit: 3}),
		whole(q{dims: []string{"event:page"}, offset: 2}),
		whole(q{dims: []string{"event:page"}, limit: 2, offset: 100}),
		whole(q{dims: []string{"visit:country", "visit:browser"}, limit: 5, offset: 3}),
		whole(q{dims: []string{"time:day", "event:page"}}),
		whole(q{dims: []string{"visit:exit_page", "visit:country"}}),
		whole(q{dims: []string{"event:page"}, order: []aggregate.Order{{By: "event:page", Desc: true}}}),
	)
	for _, m := range aggregate.Metrics {
		for _, desc := range []bool{false, true} {
			qs = append(qs, whole(q{dims: []string{"event:page"}, order: []aggregate.Order{{By: string(m), Desc: desc}}, limit: 4}))
			qs = append(qs, whole(q{dims: []string{"visit:source"}, order: []aggregate.Order{{By: string(m), Desc: desc}}}))
		}
	}
	filters := []aggregate.Filter{
		filter(aggregate.OpIs, aggregate.Page, "/a"),
		filter(aggregate.OpIs, aggregate.Page, "/a", "(not set)"),
		filter(aggregate.OpIsNot, aggregate.Page, "/a"),
		filter(aggregate.OpIs, aggregate.Referrer, "(not set)"),
		filter(aggregate.OpIsNot, aggregate.Referrer, "(not set)"),
		filter(aggregate.OpIs, aggregate.Source, "Direct / None"),
		filter(aggregate.OpIsNot, aggregate.Source, "Direct / None", "Google"),
		filter(aggregate.OpContains, aggregate.Page, "BLOG"),
		filter(aggregate.OpContains, aggregate.Page, "über"),
		filter(aggregate.OpContains, aggregate.Referrer, "NOT"),
		filter(aggregate.OpContainsNot, aggregate.UTMCampaign, "sale"),
		filter(aggregate.OpMatches, aggregate.Page, `^/blog/\d+$`),
		filter(aggregate.OpMatches, aggregate.Region, `^\(not`),
		filter(aggregate.OpMatchesNot, aggregate.Page, `^/blog/\d+$`, `^/$`),
		filter(aggregate.OpMatchesNot, aggregate.Country, `^\(not set\)$`),
		filter(aggregate.OpIs, aggregate.Country, "FR"),
		filter(aggregate.OpIs, aggregate.ExitPage, "/a"),
		filter(aggregate.OpIs, aggregate.Event, "signup"),
		filter(aggregate.OpIsNot, aggregate.Page, `it's a ?`, `back\slash`, "@name", "$1"), // bound, not spliced
	}
	for _, f := range filters {
		for _, dims := range [][]string{nil, {"event:page"}, {"visit:country"}, {"time:day"}, {"visit:exit_page"}} {
			qs = append(qs, whole(q{dims: dims, filters: []aggregate.Filter{f}}))
		}
	}
	qs = append(qs, whole(q{dims: []string{"event:page"}, filters: filters[6:9]}))

	liteEngine, liteCells, clickEngine := aggregate.NewEngine(lite, nil), aggregate.NewEngine(lite, nil).WithoutRollups(), aggregate.NewEngine(click, nil)
	nonEmpty := 0
	for i, x := range qs {
		for zi, s := range sites {
			mk := func(site account.Site) aggregate.Query {
				loc := site.Location()
				f, err1 := aggregate.ParseDay(x.from, loc)
				to, err2 := aggregate.ParseDay(x.to, loc)
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				qq := aggregate.Query{Site: site, From: f, To: to, Metrics: aggregate.Metrics, Filters: x.filters,
					OrderBy: x.order, Limit: x.limit, Offset: x.offset}
				for _, name := range x.dims {
					d, err := aggregate.ParseDimension(name, f, to)
					if err != nil {
						t.Fatal(err)
					}
					qq.Dimensions = append(qq.Dimensions, d)
				}
				return qq
			}
			what := fmt.Sprintf("query %d (%s) %s…%s dims %v filters %s order %v limit %d offset %d", i, zones[zi],
				x.from, x.to, x.dims, describeFilters(x.filters), x.order, x.limit, x.offset)
			want, err := liteEngine.Run(bg, mk(s.lite))
			if err != nil {
				t.Fatalf("%s: SQLite: %v", what, err)
			}
			cells, err := liteCells.Run(bg, mk(s.lite))
			if err != nil {
				t.Fatalf("%s: SQLite without rollups: %v", what, err)
			}
			got, err := clickEngine.Run(bg, mk(s.click))
			if err != nil {
				t.Fatalf("%s: ClickHouse: %v", what, err)
			}
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(got, cells) {
				t.Errorf("%s: the stores disagree:\nSQLite:           %v\nSQLite cells only: %v\nClickHouse:       %v", what, want, cells, got)
			}
			// The page counts, asked directly.
			qc, ql := mk(s.click), mk(s.lite)
			pc, err := aggregate.Compile(&qc)
			if err != nil {
				t.Fatal(err)
			}
			pl, _ := aggregate.Compile(&ql)
			nc, err := click.CountGroups(bg, pc)
			if err != nil {
				t.Fatalf("%s: ClickHouse count: %v", what, err)
			}
			nl, err := lite.CountGroups(bg, pl)
			if err != nil {
				t.Fatal(err)
			}
			if nc != nl {
				t.Errorf("%s: ClickHouse counts %d groups, SQLite %d", what, nc, nl)
			}
			if len(got.Rows) > 0 && (len(x.dims) > 0 || got.Rows[0].Metrics[2] != 0) {
				nonEmpty++
			}
		}
	}
	t.Logf("%d queries × %d zones, %d answers with rows, identical", len(qs), len(zones), nonEmpty)
	if nonEmpty < len(qs)*len(zones)*3/4 {
		t.Errorf("only %d of %d answers had rows: the test data miss the queries", nonEmpty, len(qs)*len(zones))
	}
}

func describeFilters(fs []aggregate.Filter) string {
	s := ""
	for _, f := range fs {
		s += fmt.Sprintf("[%s %s %q]", f.Dim, f.Op, f.Values)
	}
	return s
}
