package public

import (
	"context"
	"fmt"
	"testing"
	"time"

	"tally/aggregate"
)

// published is one number a public view showed: what it counts (a table
// and value, or the total) over which days.
type published struct {
	what   string // "total", "page:/home", "page:(other)", "page:(rest)" …
	days   map[string]bool
	label  string // the report and place it came from, for messages
	visits int64
}

// daysOf lists the days from..to.
func daysOf(from, to time.Time) map[string]bool {
	out := map[string]bool{}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		out[d.Format(time.DateOnly)] = true
	}
	return out
}

func subset(a, b map[string]bool) bool {
	for d := range a {
		if !b[d] {
			return false
		}
	}
	return true
}

// numbers lists every visitor count rep publishes, plus the remainders a
// reader can work out from it: total − the rows and "(other)" of a table,
// and total − the days shown (pageviews and visitors agree in this data:
// one page view per visitor).
func numbers(rep *Report, per Period) []published {
	var out []published
	all := daysOf(per.From, per.To)
	add := func(what string, days map[string]bool, v int64, where string) {
		out = append(out, published{what: what, days: days, visits: v, label: rep.Period.Name + " " + where})
	}
	if rep.Totals == nil {
		return nil
	}
	add("total", all, rep.Totals.Visitors, "total")
	restDays := rep.Totals.Visitors
	for _, p := range rep.Series {
		start, _ := time.ParseInLocation(time.DateOnly, p.Start, time.UTC)
		end := start
		if rep.Period.Grain == "month" {
			end = start.AddDate(0, 1, -1)
		}
		if p.Visitors != nil {
			add("total", daysOf(start, end), *p.Visitors, "series "+p.Start)
			restDays -= *p.Visitors
		}
	}
	if rep.Period.Grain == "day" {
		add("days:(rest)", all, restDays, "total − days shown")
	}
	for _, b := range rep.Breakdowns {
		rest, bare := rep.Totals.Visitors, false
		for _, r := range b.Rows {
			if r.Visitors == nil {
				bare = true
				continue
			}
			add(b.Dimension+":"+r.Value, all, *r.Visitors, b.Dimension+" "+r.Value)
			rest -= *r.Visitors
		}
		if b.Other != nil {
			add(b.Dimension+":"+Other, all, b.Other.Visitors, b.Dimension+" (other)")
			rest -= b.Other.Visitors
		}
		if !bare && len(b.Rows) > 0 && b.Dimension != "hour_of_day" {
			add(b.Dimension+":(rest)", all, rest, b.Dimension+" total − rows − (other)")
		}
	}
	return out
}

// nestedDataset is the review's attack (issue 19): K = 10, rounding 1, no
// noise. October hides /secret (9) on a day of its own; November shows it
// (11); Q4 would have shown 20. A week straddles October and November
// with a suppressed day on each side; December has a small /secret.
func nestedDataset(t *testing.T) *dataset {
	d := newDataset(t) // day 0 is 2026-10-05
	home := func(browser string) visitor {
		return visitor{pages: []string{"/home"}, source: "Google", browser: browser, device: "Desktop", country: "DE", language: "de"}
	}
	secret := visitor{pages: []string{"/secret"}, source: "Direct", browser: "Opera", device: "Mobile", country: "FR", language: "fr"}
	at := func(v visitor, day int) visitor { v.day = day; return v }
	d.add(25, at(home("Chrome"), 0))   // Oct 5
	d.add(14, at(home("Firefox"), 1))  // Oct 6
	d.add(9, at(secret, 2))            // Oct 7: hidden day, hidden page
	d.add(4, at(home("Chrome"), 25))   // Oct 30: hidden day in week 44
	d.add(3, at(home("Chrome"), 27))   // Nov 1: hidden day in week 44
	d.add(41, at(home("Chrome"), 30))  // Nov 4
	d.add(11, at(secret, 31))          // Nov 5
	d.add(30, at(home("Firefox"), 60)) // Dec 4
	d.add(5, at(secret, 61))           // Dec 5: hidden
	d.add(12, at(home("Chrome"), 62))  // Dec 6
	d.flush()
	return d
}

// nestedPeriods are every period a reader can ask of Q4 2026: its months,
// the quarter, the year, every ISO week and every day touching it, and a
// 30-day window ending on each of its days (the shared dashboard's 30d).
func nestedPeriods(t *testing.T) []Period {
	var names []string
	names = append(names, "2026-10", "2026-11", "2026-12", "2026-Q4", "2026")
	for w := 40; w <= 53; w++ {
		names = append(names, fmt.Sprintf("2026-W%02d", w))
	}
	var pers []Period
	for _, n := range names {
		p, err := ParsePeriod(n, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		pers = append(pers, p)
	}
	for d := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC); d.Month() >= 10 && d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		pers = append(pers, Period{Name: d.Format(time.DateOnly), From: d, To: d, Grain: "day"},
			Period{Name: "30d to " + d.Format(time.DateOnly), From: d.AddDate(0, 0, -29), To: d, Grain: "day"})
	}
	return pers
}

// TestNestedPeriodsCannotBeDifferenced builds every report of
// nestedPeriods and subtracts every published number from every other
// that covers a superset of its days, for the same table and value (and
// for the remainders a reader can derive): no result may be a count of
// 1 … K−1.
func TestNestedPeriodsCannotBeDifferenced(t *testing.T) {
	const k = 10
	d := nestedDataset(t)
	b := NewBuilder(aggregate.NewEngine(d.store, nil), d.store)
	now := time.Date(2027, 1, 5, 12, 0, 0, 0, time.UTC)
	pol := Policy{MinVisitors: k, Round: 1}
	var all []published
	secretShown := false
	for _, per := range nestedPeriods(t) {
		rep, err := b.Build(context.Background(), d.site, pol, per, now)
		if err != nil {
			t.Fatalf("%s: %v", per.Name, err)
		}
		for _, n := range numbers(rep, per) {
			if n.visits > 0 && n.visits < k {
				t.Errorf("%s publishes %d for %s: fewer than K", n.label, n.visits, n.what)
			}
			secretShown = secretShown || n.what == "page:/secret"
			all = append(all, n)
		}
	}
	if len(all) < 200 {
		t.Fatalf("only %d published numbers: the test looked at too little", len(all))
	}
	if !secretShown {
		t.Error("/secret is shown in no period: November's 11 should be")
	}
	diffs := 0
	for _, a := range all {
		for _, b := range all {
			if a.what != b.what || len(b.days) >= len(a.days) || !subset(b.days, a.days) {
				continue
			}
			diffs++
			if d := a.visits - b.visits; d > 0 && d < k {
				t.Errorf("%s (%d) − %s (%d) = %d visitors for %s: a hidden count below K", a.label, a.visits, b.label, b.visits, d, a.what)
			}
		}
	}
	t.Logf("%d published numbers, %d differences tried", len(all), diffs)
}
