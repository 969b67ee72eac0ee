package public

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
)

// TestSameNoiseAfterRestart: the noise key is the site's stored key, so a
// builder started afresh (a restart, another instance, `tally report`)
// publishes exactly what the first did; and a quarter publishes the sum of
// its months as they were published.
func TestSameNoiseAfterRestart(t *testing.T) {
	d := newDataset(t)
	for m := range 3 { // October, November, December
		d.add(40, visitor{pages: []string{"/home"}, source: "Google", browser: "Chrome", device: "Desktop", day: 30*m + 1})
		d.add(20, visitor{pages: []string{"/docs"}, source: "Direct", browser: "Firefox", device: "Mobile", day: 30*m + 2})
	}
	d.flush()
	// A fixed key, so that the noise of this test is fixed too.
	if _, err := d.store.NoiseKey(context.Background(), d.site.ID, bytes.Repeat([]byte{0x42}, 32)); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 1, 5, 12, 0, 0, 0, time.UTC)
	pol := Policy{MinVisitors: 10, Round: 1, Epsilon: 0.5}
	build := func(name string) *Report {
		t.Helper()
		per, err := ParsePeriod(name, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := NewBuilder(aggregate.NewEngine(d.store, nil), d.store).Build(context.Background(), d.site, pol, per, now)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	first := mustJSON(t, build("2026-Q4"))
	for range 3 {
		if again := mustJSON(t, build("2026-Q4")); again != first {
			t.Fatalf("a new builder published different numbers:\n%s\n%s", first, again)
		}
	}
	q4 := build("2026-Q4")
	var home, total int64
	noisy := false
	for _, m := range []string{"2026-10", "2026-11", "2026-12"} {
		rep := build(m)
		r, ok := rep.breakdown(t, "page").row("/home")
		if !ok || r.Visitors == nil || rep.Totals == nil {
			t.Fatalf("%s: /home or the total not published", m)
		}
		home += *r.Visitors
		total += rep.Totals.Visitors
		noisy = noisy || *r.Visitors != 40
	}
	if !noisy {
		t.Error("ε = 0.5 added no noise to three counts: the test cannot tell sums of published values from true ones")
	}
	if r, ok := q4.breakdown(t, "page").row("/home"); !ok || r.Visitors == nil || *r.Visitors != home {
		t.Errorf("Q4 /home = %v, want %d, the sum of its months as published", r.Visitors, home)
	}
	if q4.Totals == nil || q4.Totals.Visitors != total {
		t.Errorf("Q4 total = %v, want %d, the sum of its months as published", q4.Totals, total)
	}
}

// TestTodayNeverShows: polling the public views during a day changes
// nothing, however many visitors arrive: they cover closed days only.
func TestTodayNeverShows(t *testing.T) {
	d := hostile(t)
	srv := servePublic(t, d, Policy{MinVisitors: 2, Round: 1})
	base := srv.url + "/share/" + srv.slug
	paths := []string{"", "?range=30d", "?range=month", "?range=12mo", "/report/2026-10.json", "/report/2026-W44.json"}
	before := map[string]string{}
	for _, p := range paths {
		code, _, body := get(t, base+p)
		if code != 200 {
			t.Fatalf("GET %s: %d %s", p, code, body)
		}
		before[p] = body
	}
	// The server's clock says 2026-11-02 12:00: visitors arrive today.
	d.add(30, visitor{pages: []string{"/today"}, source: "Google", browser: "Chrome", device: "Desktop", country: "DE", language: "de", day: 28})
	d.flush()
	for _, p := range paths {
		if _, _, body := get(t, base+p); body != before[p] {
			t.Errorf("GET %s changed while today's visitors arrived", p)
		}
	}
	if code, _, _ := get(t, base+"/report/2026-11-02.json"); code != 404 {
		t.Errorf("today's report: %d, want 404", code)
	}
}

// TestReportsAreServedAsFirstBuilt: a closed period's report is stored the
// first time it is asked for and served as stored, even after retention
// deleted the counters it came from; unpublishing deletes it, and a new
// publication builds afresh.
func TestReportsAreServedAsFirstBuilt(t *testing.T) {
	d := hostile(t)
	srv := servePublic(t, d, DefaultPolicy)
	base := srv.url + "/share/" + srv.slug
	_, _, first := get(t, base+"/report/2026-10.json")
	if !strings.Contains(first, "/pricing") {
		t.Fatalf("the October report does not show /pricing:\n%s", first)
	}
	ctx := context.Background()
	if err := d.store.DropBefore(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, _, again := get(t, base+"/report/2026-10.json"); again != first {
		t.Errorf("the report changed after retention deleted October:\n%s\n%s", first, again)
	}
	// A format not asked for before is built now, from what is left.
	if _, _, csv := get(t, base+"/report/2026-10.csv"); strings.Contains(csv, "/pricing") {
		t.Errorf("the CSV, first asked for after the deletion, shows /pricing: the test's deletion did nothing")
	}
	if err := Unpublish(ctx, d.store, d.site); err != nil {
		t.Fatal(err)
	}
	key := reportKey(account.Share{Slug: srv.slug}, DefaultPolicy, Period{Name: "2026-10"}, "json")
	if _, err := d.store.Report(ctx, d.site.ID, key); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("stored report after unpublishing: %v, want ErrNotFound", err)
	}
	sh, err := Publish(ctx, d.store, d.site, DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, fresh := get(t, srv.url+SharePath(sh)+"/report/2026-10.json"); strings.Contains(fresh, "/pricing") {
		t.Errorf("the new publication served the old stored report")
	}
}
