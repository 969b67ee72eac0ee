package public

import (
	"bytes"
	"context"
	"testing"
	"time"

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
