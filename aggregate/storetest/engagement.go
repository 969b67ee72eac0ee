package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"tally/aggregate"
)

// testEngagement: scroll depth (the deepest scroll of each page view, once
// however often it reports) and time on page (engaged time per page view),
// from engagement reports that count as neither pageviews nor events.
func testEngagement(t *testing.T, st aggregate.Store) {
	site := addSite(t, st, "example.com", "UTC")
	at := day0.Add(10 * time.Hour)
	hit := func(visitor uint64, min int, event, page string, sd int, ms int64) aggregate.Hit {
		var k aggregate.Key
		k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = "example.com", page, event
		return aggregate.Hit{Site: site.ID, Time: at.Add(time.Duration(min) * time.Minute), Visitor: visitor, Key: k,
			ScrollDepth: sd, Engaged: ms}
	}
	a, b := VisitorKey(1, at), VisitorKey(2, at)
	pv, eng := aggregate.PageviewEvent, aggregate.EngagementEvent
	FeedAll(t, st, []aggregate.Hit{
		hit(a, 0, pv, "/a", 0, 0),
		hit(a, 1, eng, "/a", 40, 3000), // hidden, then visible again:
		hit(a, 2, eng, "/a", 60, 2000), // one page view, deepest 60, 5 s
		hit(a, 3, pv, "/b", 0, 0),
		hit(a, 4, eng, "/b", 100, 1000),
		hit(b, 5, pv, "/a", 0, 0),
		hit(b, 6, eng, "/a", 20, 4000),
		hit(0, 7, eng, "/a", 50, 0), // anonymous: its own page view
		hit(a, 8, pv, "/a", 0, 0),
		hit(a, 9, eng, "/a", 10, 4000), // the same page again: a new page view
		hit(a, 10, eng, "/a", 5, 0),    // shallower than before: nothing to add
	})
	q := Q{From: day0s, To: day0s, Dimensions: []string{"event:page"},
		Metrics: []aggregate.Metric{aggregate.Visitors, aggregate.Pageviews, aggregate.Events, aggregate.ScrollDepth, aggregate.TimeOnPage}}
	got := map[string]string{}
	for _, r := range Query(t, st, site, q).Rows {
		got[r.Dimensions[0]] = fmt.Sprint(r.Metrics)
	}
	// /a: 4 page views, deepest 60+20+50+10 = 140 → 35 %, (5+4+0+4) s / 4 → 3 s.
	// /b: 1 page view, 100 %, 1 s. Engagement reports are not pageviews or events.
	want := map[string]string{"/a": "[2 3 3 35 3]", "/b": "[1 1 1 100 1]"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("engagement by page = %v, want %v", got, want)
	}
	only := Query(t, st, site, Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.ScrollDepth, aggregate.TimeOnPage},
		Filters: []aggregate.Filter{MustFilter(t, aggregate.OpIs, aggregate.Page, "/b")}})
	if fmt.Sprint(only.Rows[0].Metrics) != "[100 1]" {
		t.Errorf("engagement of /b = %v, want [100 1]", only.Rows[0].Metrics)
	}
	// Across pages: 5 page views, 240 % → 48, 14 s → 3 (2.8 rounded).
	all := Query(t, st, site, Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.ScrollDepth, aggregate.TimeOnPage}})
	if fmt.Sprint(all.Rows[0].Metrics) != "[48 3]" {
		t.Errorf("engagement of the site = %v, want [48 3]", all.Rows[0].Metrics)
	}
	bad := Q{From: day0s, To: day0s, Metrics: []aggregate.Metric{aggregate.ScrollDepth}, Dimensions: []string{"visit:country"}}
	if _, err := aggregate.NewEngine(st, nil).Run(bg, toQuery(t, site, bad)); !errors.Is(err, aggregate.ErrInvalid) {
		t.Errorf("scroll depth by country: %v, want ErrInvalid", err)
	}
	if err := st.DeleteSite(bg, site.ID); err != nil {
		t.Fatal(err)
	}
	if r := Query(t, st, site, q).Rows; len(r) != 0 {
		t.Errorf("a deleted site's engagement: %+v", r)
	}
}
