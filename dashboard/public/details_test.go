package public

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"tally/aggregate"
)

// details builds the October 2026 Details list of table as of November 2nd.
func (d *dataset) details(pol Policy, table string) *Report {
	d.t.Helper()
	d.flush()
	per, err := ParsePeriod("2026-10", time.UTC)
	if err != nil {
		d.t.Fatal(err)
	}
	b := NewBuilder(aggregate.NewEngine(d.store, nil), d.store)
	rep, err := b.Details(context.Background(), d.site, pol, per, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), table)
	if err != nil {
		d.t.Fatal(err)
	}
	return rep
}

// manyPages: 25 pages of 3 to 6 visitors (more than a share page's 20
// rows) and two pages of one visitor each, whose 2 visitors are below
// K = 3. /p24 (3 visitors) is the smallest page of at least K.
func manyPages(t *testing.T) *dataset {
	d := newDataset(t)
	for i := range 25 {
		n := 4 + i%3
		if i == 24 {
			n = 3
		}
		d.add(n, visitor{pages: []string{fmt.Sprintf("/p%02d", i)}, browser: "Firefox", device: "Desktop", country: "FR"})
	}
	d.add(1, visitor{pages: []string{"/lone-a"}, browser: "Firefox", device: "Desktop", country: "FR"})
	d.add(1, visitor{pages: []string{"/lone-b"}, browser: "Firefox", device: "Desktop", country: "FR"})
	return d
}

// TestDetailsShowsMoreUnderTheSameRules: the Details list of a table goes
// past the share page's 20 rows, but only with groups of at least K, the
// same published counts for the groups both show, and a remainder that
// holds at least K — so no difference of what the two publish gives the
// two lone visitors away.
func TestDetailsShowsMoreUnderTheSameRules(t *testing.T) {
	const k = 3
	d := manyPages(t)
	pol := Policy{MinVisitors: k, Round: 1}
	share := d.report(pol).breakdown(t, "page")
	det := d.details(pol, "page")
	if len(det.Breakdowns) != 1 {
		t.Fatalf("details has %d tables, want 1", len(det.Breakdowns))
	}
	all := det.breakdown(t, "page")
	if len(share.Rows) != rowLimit || share.Other == nil {
		t.Fatalf("share page: %d rows, other %v; want %d and a remainder", len(share.Rows), share.Other, rowLimit)
	}
	// 25 pages of ≥ K; the rest (2 lone visitors) is below K, so the
	// smallest page joins it: 24 rows and an "(other)" of 3 + 2.
	if len(all.Rows) != 24 || all.Other == nil || all.Other.Visitors != 5 {
		t.Fatalf("details: %d rows, other %+v; want 24 rows and (other) of 5 visitors", len(all.Rows), all.Other)
	}
	for _, r := range all.Rows {
		if r.Visitors == nil || *r.Visitors < k || strings.HasPrefix(r.Value, "/lone") || r.Value == "/p24" {
			t.Errorf("details shows %s with %v visitors", r.Value, r.Visitors)
		}
	}
	onlyDetails := int64(0)
	for _, r := range all.Rows {
		s, ok := share.row(r.Value)
		if !ok {
			onlyDetails += *r.Visitors
			continue
		}
		if *s.Visitors != *r.Visitors || *s.Pageviews != *r.Pageviews {
			t.Errorf("%s: share page %d/%d, details %d/%d", r.Value, *s.Visitors, *s.Pageviews, *r.Visitors, *r.Pageviews)
		}
	}
	for _, s := range share.Rows {
		if _, ok := all.row(s.Value); !ok {
			t.Errorf("the share page shows %s, details does not", s.Value)
		}
	}
	// What subtraction gives: the share page's remainder less the groups
	// only details shows is details' own remainder (≥ K), never the lone 2.
	if diff := share.Other.Visitors - onlyDetails; diff != all.Other.Visitors || diff < k {
		t.Errorf("share (other) %d − details-only groups %d = %d; details (other) %d", share.Other.Visitors, onlyDetails, diff, all.Other.Visitors)
	}
}

// TestDetailsNoiseIsTheSharePages: with noise, a group both lists show
// has the same published counts (the same draws), so asking twice
// averages nothing; the remainders are different numbers, each with its
// own draw.
func TestDetailsNoiseIsTheSharePages(t *testing.T) {
	d := manyPages(t)
	pol := Policy{MinVisitors: 3, Round: 1, Epsilon: 0.5}
	share := d.report(pol).breakdown(t, "page")
	all := d.details(pol, "page").breakdown(t, "page")
	same := 0
	for _, s := range share.Rows {
		if r, ok := all.row(s.Value); ok {
			same++
			if *s.Visitors != *r.Visitors || *s.Pageviews != *r.Pageviews {
				t.Errorf("%s: share page %d/%d, details %d/%d", s.Value, *s.Visitors, *s.Pageviews, *r.Visitors, *r.Pageviews)
			}
		}
	}
	if same == 0 {
		t.Fatal("no group is in both lists")
	}
}

// TestDetailsWithinTheLimitIsTheSharePagesTable: a table whose groups all
// fit in the share page's rows is the same table in Details, remainder
// and all, noise included.
func TestDetailsWithinTheLimitIsTheSharePagesTable(t *testing.T) {
	d := hostile(t)
	d.add(5, visitor{pages: []string{"/about"}, source: "Bing", browser: "Firefox", os: "Linux", device: "Desktop", country: "FR", language: "fr"})
	pol := Policy{MinVisitors: 5, Round: 1, Epsilon: 1}
	rep := d.report(pol)
	for _, s := range sections {
		if !DetailsSection(s.name) {
			continue
		}
		got := mustJSON(t, d.details(pol, s.name).breakdown(t, s.name))
		if want := mustJSON(t, rep.breakdown(t, s.name)); got != want {
			t.Errorf("%s: details\n%s\nshare page\n%s", s.name, got, want)
		}
	}
}

// TestShareDetailsPage: the page itself, over HTTP — the hostile
// dataset's lone visitor appears in no Details list, /pricing stays bare,
// search and sort only pick and order published rows, every other
// parameter is ignored, and tables without details are 404s.
func TestShareDetailsPage(t *testing.T) {
	d := hostile(t)
	srv := servePublic(t, d, DefaultPolicy)
	base := srv.url + "/share/" + srv.slug
	for _, table := range []string{"page", "source", "country", "browser", "os", "device", "language"} {
		for _, rng := range []string{"", "?range=30d", "?range=12mo", "?range=month"} {
			code, hdr, body := get(t, base+"/details/"+table+rng)
			if code != 200 {
				t.Errorf("details/%s%s: %d %s", table, rng, code, body)
				continue
			}
			assertNone(t, "details/"+table+rng, body, lonerValues)
			if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("details CSP %q", csp)
			}
		}
	}
	_, _, pages := get(t, base+"/details/page")
	if !strings.Contains(pages, "<span>/pricing</span></td><td class=\"n\">n/a</td>") {
		t.Error("/pricing (the only group, with a remainder below K) is not shown bare")
	}
	for _, q := range []string{"?f=page,/internal/alice-secret-page", "?range=last_month&period=day&i=hour", "?fd=page&fv=alice"} {
		if _, _, body := get(t, base+"/details/page"+q); body != pages {
			t.Errorf("details/page%s differs from details/page", q)
		}
	}
	if _, _, body := get(t, base+"/details/page?q=alice"); !strings.Contains(body, "No group matches") || strings.Contains(body, "/pricing</span>") {
		t.Error("searching for alice finds something")
	}
	if _, _, body := get(t, base+"/details/page?q=PRIC"); !strings.Contains(body, "/pricing</span>") {
		t.Error("searching PRIC does not find /pricing")
	}
	for _, path := range []string{"/details/hour_of_day", "/details/nothing", "/details/"} {
		if code, _, _ := get(t, base+path); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if code, _, _ := get(t, srv.url+"/share/not-a-slug/details/page"); code != 404 {
		t.Errorf("details of an unknown slug: %d", code)
	}
	if code, _, _ := get(t, base+"/details/page?range=day"); code != 400 {
		t.Errorf("details with range=day: %d, want 400", code)
	}
	if err := d.store.DeleteShare(context.Background(), d.site.ID); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := get(t, base+"/details/page"); code != 404 {
		t.Errorf("details after unpublishing: %d, want 404", code)
	}
}

// TestShareDetailsLinks: the share page links a table to its Details only
// where the table may hold groups back, and search and sort work on the
// published rows of a long list.
func TestShareDetailsLinks(t *testing.T) {
	d := manyPages(t)
	srv := servePublic(t, d, Policy{MinVisitors: 3, Round: 1})
	base := srv.url + "/share/" + srv.slug
	_, _, share := get(t, base)
	if !strings.Contains(share, `href="/share/`+srv.slug+`/details/page?range=last_month">All groups · Details</a>`) {
		t.Error("the pages table (20 rows and a remainder) has no Details link")
	}
	if strings.Contains(share, "/details/browser") || strings.Contains(share, "/details/hour_of_day") {
		t.Error("a table with one group, or the hours, links to Details")
	}
	_, _, byName := get(t, base+"/details/page?sort=value")
	if i, j := strings.Index(byName, "<span>/p00</span>"), strings.Index(byName, "<span>/p23</span>"); i < 0 || j < i {
		t.Errorf("sorted by name, /p00 is not before /p23 (%d, %d)", i, j)
	}
	_, _, found := get(t, base+"/details/page?q=p2")
	if n := strings.Count(found, "<tr><td"); n != 4 || !strings.Contains(found, "4 of 24 groups match") || strings.Contains(found, `class="other"`) {
		t.Errorf("searching p2: %d rows (want /p20–/p23, no (other))", n)
	}
}
