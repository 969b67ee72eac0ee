package public

import (
	"fmt"
	"tally/account"
	"testing"
)

func shareWith(k, n int, eps float64) account.Share {
	return account.Share{MinVisitors: k, Round: n, Epsilon: eps}
}

func TestHostileDatasetReport(t *testing.T) {
	rep := hostile(t).report(DefaultPolicy)
	js := mustJSON(t, rep)
	assertNone(t, "the JSON report", js, lonerValues)

	// 13 visitors ≥ K: the total is published (rounded to 5).
	if rep.Method.TotalsWithheld || rep.Totals == nil || rep.Totals.Visitors != 15 {
		t.Errorf("totals = %v (withheld %v), want 15 visitors", rep.Totals, rep.Method.TotalsWithheld)
	}
	// Each table has one group of 12 and the loner: publishing 12 next to
	// the total 13 would give the loner away by subtraction, so /pricing,
	// Google and Chrome are named without numbers and there is no (other).
	for _, c := range []struct{ table, value string }{{"page", "/pricing"}, {"source", "Google"}, {"browser", "Chrome"}} {
		b := rep.breakdown(t, c.table)
		r, ok := b.row(c.value)
		if !ok {
			t.Errorf("%s: %q is not shown", c.table, c.value)
			continue
		}
		if r.Visitors != nil || r.Pageviews != nil {
			t.Errorf("%s %q shows counts %v/%v next to a withheld remainder", c.table, c.value, *r.Visitors, *r.Pageviews)
		}
		if len(b.Rows) != 1 || b.Other != nil {
			t.Errorf("%s: rows %v, other %v; want the one bare row", c.table, b.Rows, b.Other)
		}
	}
}

// TestMinimumGroupSize checks the boundaries around K: a page with K−1
// visitors is hidden, K and K+1 are shown.
func TestMinimumGroupSize(t *testing.T) {
	const k = 10
	for _, tc := range []struct {
		n     int
		shown bool
	}{{k - 1, false}, {k, true}, {k + 1, true}} {
		t.Run(fmt.Sprintf("%d visitors", tc.n), func(t *testing.T) {
			d := newDataset(t)
			// Enough other traffic that the remainder rule never decides.
			d.add(40, visitor{pages: []string{"/"}, source: "Google", browser: "Chrome", device: "Desktop"})
			d.add(15, visitor{pages: []string{"/docs"}, source: "Google", browser: "Firefox", device: "Desktop"})
			d.add(tc.n, visitor{pages: []string{"/edge"}, source: "edge-source.example", browser: "Safari", device: "Mobile"})
			rep := d.report(Policy{MinVisitors: k, Round: 1})
			for _, c := range []struct{ table, value string }{
				{"page", "/edge"}, {"source", "edge-source.example"}, {"browser", "Safari"}, {"device", "Mobile"},
			} {
				r, ok := rep.breakdown(t, c.table).row(c.value)
				if ok != tc.shown {
					t.Errorf("%s %q shown = %v, want %v", c.table, c.value, ok, tc.shown)
				}
				if ok && (r.Visitors == nil || *r.Visitors != int64(tc.n)) {
					t.Errorf("%s %q = %v visitors, want %d (rounding 1, no noise)", c.table, c.value, r.Visitors, tc.n)
				}
			}
			if tc.shown {
				return
			}
			// Hidden, the group sits in "(other)", which must hold ≥ K.
			for _, table := range []string{"page", "source", "browser", "device"} {
				b := rep.breakdown(t, table)
				if b.Other != nil && b.Other.Visitors < k {
					t.Errorf("%s: (other) has %d visitors, fewer than K", table, b.Other.Visitors)
				}
			}
		})
	}
}

// TestSubtraction: one small group hidden among shown ones could be
// recovered as total − shown. The layer must fold further groups until the
// remainder holds at least K visitors.
func TestSubtraction(t *testing.T) {
	const k = 10
	d := newDataset(t)
	d.add(30, visitor{pages: []string{"/"}, browser: "Chrome", device: "Desktop"})
	d.add(12, visitor{pages: []string{"/"}, browser: "Firefox", device: "Desktop"})
	d.add(1, visitor{pages: []string{"/"}, browser: "Opera", device: "Desktop"})
	rep := d.report(Policy{MinVisitors: k, Round: 1})
	if rep.Totals == nil || rep.Totals.Visitors != 43 {
		t.Fatalf("totals = %v, want 43 visitors", rep.Totals)
	}
	b := rep.breakdown(t, "browser")
	if _, ok := b.row("Chrome"); !ok {
		t.Errorf("Chrome (30 visitors) is not shown: %+v", b.Rows)
	}
	if _, ok := b.row("Opera"); ok {
		t.Errorf("Opera (1 visitor) is shown")
	}
	if _, ok := b.row("Firefox"); ok {
		t.Errorf("Firefox is shown: then (other) = 43 − 30 − 12 = 1 recovers the Opera visitor")
	}
	var shown int64
	for _, r := range b.Rows {
		if r.Visitors == nil {
			t.Fatalf("%s is bare", r.Value)
		}
		shown += *r.Visitors
	}
	if rest := rep.Totals.Visitors - shown; rest != 0 && rest < k {
		t.Errorf("total − shown browsers = %d: a group below K is recoverable", rest)
	}
	if b.Other == nil || b.Other.Visitors != 13 {
		t.Errorf("(other) = %v, want 13 visitors (Firefox and Opera)", b.Other)
	}
	// Every day has 43 visitors: the series is whole.
	for _, p := range rep.Series {
		if p.Start == "2026-10-05" && (p.Visitors == nil || *p.Visitors != 43) {
			t.Errorf("series on %s = %v, want 43", p.Start, p.Visitors)
		}
	}
}

// TestSeriesSuppression: a day with fewer than K visitors is suppressed,
// decided from the day alone; when the suppressed days together hold
// fewer than K visitors (but some), the month's total is withheld, since
// total − shown days would give them away, and the totals are the sum of
// the days shown.
func TestSeriesSuppression(t *testing.T) {
	const k = 10
	d := newDataset(t)
	d.add(20, visitor{pages: []string{"/"}, day: 0})
	d.add(15, visitor{pages: []string{"/"}, day: 1})
	d.add(3, visitor{pages: []string{"/"}, day: 2})
	d.add(4, visitor{pages: []string{"/"}, day: 3})
	d.add(12, visitor{pages: []string{"/"}, day: 4})
	rep := d.report(Policy{MinVisitors: k, Round: 1})
	if len(rep.Series) != 31 {
		t.Errorf("series has %d points, want every day of October", len(rep.Series))
	}
	want := map[string]int64{"2026-10-05": 20, "2026-10-06": 15, "2026-10-09": 12}
	var shown int64
	for _, p := range rep.Series {
		if p.Visitors == nil {
			continue
		}
		shown += *p.Visitors
		if want[p.Start] != *p.Visitors {
			t.Errorf("day %s shows %d visitors, want %v", p.Start, *p.Visitors, want[p.Start])
		}
	}
	if rep.Totals == nil || rep.Totals.Visitors != shown || !rep.Method.PartialTotals {
		t.Errorf("totals %v (partial %v), want the %d visitors of the days shown, marked partial", rep.Totals, rep.Method.PartialTotals, shown)
	}
	// Once the hidden days hold K, the month's own total is published.
	d.add(3, visitor{pages: []string{"/"}, day: 10})
	rep = d.report(Policy{MinVisitors: k, Round: 1})
	if rep.Totals == nil || rep.Totals.Visitors != 57 || rep.Method.PartialTotals {
		t.Errorf("totals %v (partial %v), want the month's 57 visitors", rep.Totals, rep.Method.PartialTotals)
	}
}

func TestFoldUnit(t *testing.T) {
	gs := []group{{"a", Counts{50, 50}}, {"b", Counts{11, 11}}, {"c", Counts{9, 9}}, {"d?x=1", Counts{30, 30}}}
	shown, rest, withheld, err := fold(gs, 10, 0, sumExcept(gs))
	if err != nil {
		t.Fatal(err)
	}
	// A value with a query string is never shown, even if large: it joins the
	// remainder, which then holds 39 ≥ K.
	if len(shown) != 2 || shown[0].value != "a" || shown[1].value != "b" || rest.Visitors != 39 || withheld {
		t.Errorf("fold = %v, rest %v, withheld %v", shown, rest, withheld)
	}
	if roundTo(12, 5) != 10 || roundTo(13, 5) != 15 || roundTo(0, 5) != 0 || roundTo(7, 1) != 7 {
		t.Error("roundTo is wrong")
	}
	// One group and a remainder below K: the group goes bare, nothing else.
	gs = []group{{"a", Counts{12, 12}}, {"b", Counts{1, 1}}}
	if shown, rest, bare, _ := fold(gs, 10, 0, sumExcept(gs)); len(shown) != 1 || !bare || !rest.empty() {
		t.Errorf("dominant group: shown %v, rest %v, bare %v", shown, rest, bare)
	}
	// Everything below K: nothing shown, no remainder published.
	gs = []group{{"a", Counts{4, 4}}, {"b", Counts{3, 3}}}
	if shown, rest, bare, _ := fold(gs, 10, 0, sumExcept(gs)); len(shown) != 0 || bare || !rest.empty() {
		t.Errorf("small groups: shown %v, rest %v, bare %v", shown, rest, bare)
	}
	if p := PolicyOf(shareWith(1, 0, -1)); p.MinVisitors != 2 || p.Round != 1 || p.Epsilon != 0 {
		t.Errorf("PolicyOf did not raise weak parameters: %+v", p)
	}
}
