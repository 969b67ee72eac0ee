package dashboard

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"tally/aggregate"
)

// manyPages adds one visitor per page /p000 … /p(n-1), page i read by i%7+1
// visitors, so the pages panel has more rows than it shows.
func (f *fixture) manyPages(siteID int64, domain string, n int) {
	f.t.Helper()
	at := f.clock.Now().Add(-time.Hour)
	v := uint64(5000)
	for i := 0; i < n; i++ {
		for j := 0; j <= i%7; j++ {
			var k aggregate.Key
			k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = domain, fmt.Sprintf("/p%03d", i), aggregate.PageviewEvent
			k[aggregate.Browser] = "Chrome"
			f.agg.Add(aggregate.Hit{Site: siteID, Time: at, Visitor: v, Key: k})
			v++
		}
	}
	if err := f.agg.Sync(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

var rowLabel = regexp.MustCompile(`title="Filter by ([^"]*)">`)

func rowLabels(body string) []string {
	var out []string
	for _, m := range rowLabel.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func TestDetails(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	site := f.addSite("example.com", 0)
	f.manyPages(site.ID, site.Domain, 130)
	b := f.browser()
	b.login("owner@example.com", pw)

	dash := b.get("/example.com?period=day&pg=page")
	m := regexp.MustCompile(`<a href="([^"]*/details[^"]*)">More · Details</a>`).FindStringSubmatch(dash.body)
	if m == nil {
		t.Fatalf("the pages panel has no Details link for its 120 rows past the top 10")
	}
	link := html.UnescapeString(m[1])
	res := b.get(link)
	if res.code != 200 {
		t.Fatalf("GET %s = %d\n%s", link, res.code, res.body)
	}
	labels := rowLabels(res.body)
	if len(labels) != 100 || !strings.Contains(res.body, "1–100 of 130") {
		t.Fatalf("first page: %d rows, want 100 of 130", len(labels))
	}
	// Default order: visitors descending; /p006 has 7 visitors.
	if labels[0] != "/p006" {
		t.Errorf("first row %s, want /p006 (most visitors, then by name)", labels[0])
	}
	next := regexp.MustCompile(`<a href="([^"]*)" rel="next">`).FindStringSubmatch(res.body)
	if next == nil {
		t.Fatal("no link to the next page")
	}
	res = b.get(html.UnescapeString(next[1]))
	if labels := rowLabels(res.body); len(labels) != 30 || !strings.Contains(res.body, "101–130 of 130") || strings.Contains(res.body, `rel="next"`) {
		t.Errorf("second page: %d rows, want the last 30", len(labels))
	}

	// Sorting by the name column, both ways.
	asc := b.get("/example.com/details?period=day&panel=pg&sort=name&dir=asc")
	if l := rowLabels(asc.body); len(l) == 0 || l[0] != "/p000" || !strings.Contains(asc.body, `aria-sort="ascending"`) {
		t.Errorf("sorted by name ascending: first %v", l[:min(len(l), 1)])
	}
	desc := b.get("/example.com/details?period=day&panel=pg&sort=name")
	if l := rowLabels(desc.body); len(l) == 0 || l[0] != "/p129" {
		t.Errorf("sorted by name descending: first %v", l[:min(len(l), 1)])
	}
	// Sorting by a metric column ascending puts the one-visitor pages first.
	vis := b.get("/example.com/details?period=day&panel=pg&sort=visitors&dir=asc")
	if l := rowLabels(vis.body); len(l) == 0 || l[0] != "/p000" {
		t.Errorf("sorted by visitors ascending: first %v", l[:min(len(l), 1)])
	}

	// Search narrows the list to the values containing the text.
	found := b.get("/example.com/details?period=day&panel=pg&q=p12")
	if l := rowLabels(found.body); len(l) != 10 {
		t.Errorf("search p12: %v, want /p120 … /p129", l)
	}
	none := b.get("/example.com/details?period=day&panel=pg&q=nothing-like-it")
	if !strings.Contains(none.body, "Nothing matches") {
		t.Error("a search without results does not say so")
	}

	for q, code := range map[string]int{"panel=nope": 404, "panel=pg&sort=hugs": 400, "panel=pg&page=0": 400} {
		if res := b.get("/example.com/details?" + q); res.code != code {
			t.Errorf("details?%s = %d, want %d", q, res.code, code)
		}
	}
	if res := f.browser().get("/example.com/details?panel=pg"); res.code == 200 {
		t.Error("the details page is open without signing in")
	}
}
