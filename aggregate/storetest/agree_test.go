package storetest_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestStoresAgree feeds the same hits to both stores and asks both the same
// battery of questions — every breakdown, every time grain, every metric,
// filters with breakdowns, pages of results — and wants identical answers,
// row for row, in the same order.
func TestStoresAgree(t *testing.T) {
	lite, click := storetest.SQLite(t), storetest.ClickHouse(t)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var sites [2]account.Site
	for i, st := range []aggregate.Store{lite, click} {
		site, err := st.AddSite(context.Background(), account.Site{Domain: "example.com", Timezone: "Europe/Berlin"})
		if err != nil {
			t.Fatal(err)
		}
		sites[i] = site
		var hits []aggregate.Hit
		for d := 0; d < 3; d++ {
			hits = append(hits, storetest.Mixed(site.ID, day.AddDate(0, 0, d))...)
		}
		hits = append(hits, storetest.Standard(site.ID, day.AddDate(0, 0, 3).Add(9*time.Hour))...)
		storetest.FeedAll(t, st, hits)
	}

	qs := agreeQueries(t)
	for i, q := range qs {
		a := storetest.Query(t, lite, sites[0], q)
		b := storetest.Query(t, click, sites[1], q)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("query %d %s: the stores disagree:\nSQLite:     %s\nClickHouse: %s", i, describe(q), show(a), show(b))
		}
		if i == 0 && (len(a.Rows) != 1 || a.Rows[0].Metrics[2] == 0) {
			t.Fatalf("the totals show no pageviews: %s", show(a))
		}
	}
	t.Logf("%d queries, identical answers", len(qs))
}

// agreeQueries is the battery of questions two stores fed the same hits
// must answer identically, about 2026-11-01 to 2026-11-06.
func agreeQueries(t *testing.T) []storetest.Q {
	every := []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews, aggregate.ViewsPerVisit,
		aggregate.BounceRate, aggregate.VisitDuration, aggregate.Events}
	var qs []storetest.Q
	for _, dims := range [][]string{nil, {"time"}, {"time:hour"}, {"time:day"}, {"time:week"}, {"time:month"},
		{"time:hour_of_day"}, {"time:day_of_week"}, {"visit:country", "visit:browser"}, {"time:day", "event:page"}} {
		qs = append(qs, storetest.Q{Dimensions: dims})
	}
	for d := aggregate.Dim(0); int(d) < aggregate.NumDims; d++ {
		qs = append(qs, storetest.Q{Dimensions: []string{d.String()}})
		qs = append(qs, storetest.Q{Dimensions: []string{d.String()}, Limit: 3, Offset: 1,
			OrderBy: []aggregate.Order{{By: "visits"}}})
		for _, op := range []string{aggregate.OpIsNot, aggregate.OpContains, aggregate.OpMatchesNot} {
			f, err := aggregate.NewFilter(op, d, []string{"e"})
			if err != nil {
				t.Fatal(err)
			}
			qs = append(qs, storetest.Q{Dimensions: []string{"visit:source"}, Filters: []aggregate.Filter{f}})
		}
	}
	for i := range qs {
		qs[i].From, qs[i].To, qs[i].Metrics = "2026-11-01", "2026-11-06", every
	}
	return qs
}

func describe(q storetest.Q) string {
	s := fmt.Sprintf("dims %v", q.Dimensions)
	for _, f := range q.Filters {
		s += fmt.Sprintf(" filter %s %s %q", f.Dim, f.Op, f.Values)
	}
	return s
}

func show(r aggregate.Result) string {
	s := fmt.Sprintf("total %d:", r.TotalRows)
	for _, row := range r.Rows {
		s += fmt.Sprintf(" %v=%v", row.Dimensions, row.Metrics)
	}
	return s
}
