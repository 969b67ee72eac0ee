package dashboard

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"tally/aggregate"
)

func TestParseStatePeriodAndCompare(t *testing.T) {
	tests := []struct {
		query           string
		period, compare string
		ignored         string // part of the notice, "" for none
	}{
		{"", "30d", aggregate.ComparePrevious, ""},
		{"period=all", "all", aggregate.ComparePrevious, ""},
		{"period=year", "year", aggregate.ComparePrevious, ""},
		{"period=6mo&cmp=year_over_year", "6mo", aggregate.CompareYear, ""},
		{"period=12mo&cmp=off", "12mo", aggregate.CompareOff, ""},
		{"period=fortnight", "30d", aggregate.ComparePrevious, `Unknown period "fortnight"`},
		{"cmp=decade", "30d", aggregate.ComparePrevious, `Unknown comparison "decade"`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			s := ParseState(q)
			if s.Period != tt.period || s.Compare != tt.compare {
				t.Errorf("period %q compare %q, want %q %q", s.Period, s.Compare, tt.period, tt.compare)
			}
			if got := strings.Join(s.Ignored, " "); (tt.ignored == "") != (got == "") || !strings.Contains(got, tt.ignored) {
				t.Errorf("ignored %q, want %q", got, tt.ignored)
			}
			// The state's own link reads back as the same state, minus
			// what was not understood.
			back := ParseState(s.Values())
			if back.Period != s.Period || back.Compare != s.Compare || len(back.Ignored) != 0 {
				t.Errorf("round trip: %+v", back)
			}
		})
	}
}

func TestCompared(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	tests := []struct{ mode, from, to, pfrom, pto string }{
		{aggregate.ComparePrevious, "2026-03-01", "2026-03-07", "2026-02-22", "2026-02-28"},
		{aggregate.ComparePrevious, "2026-03-10", "2026-03-10", "2026-03-09", "2026-03-09"},
		{aggregate.CompareYear, "2026-03-01", "2026-03-07", "2025-03-01", "2025-03-07"},
		{aggregate.CompareYear, "2024-02-01", "2024-02-29", "2023-02-01", "2023-02-28"},
	}
	for _, tt := range tests {
		pf, pt, ok, err := aggregate.Compared(tt.mode, day(tt.from), day(tt.to))
		if err != nil || !ok || pf.Format(time.DateOnly) != tt.pfrom || pt.Format(time.DateOnly) != tt.pto {
			t.Errorf("%s %s–%s: %s–%s %v %v, want %s–%s", tt.mode, tt.from, tt.to, pf.Format(time.DateOnly), pt.Format(time.DateOnly), ok, err, tt.pfrom, tt.pto)
		}
	}
	if _, _, ok, err := aggregate.Compared(aggregate.CompareOff, day("2026-03-01"), day("2026-03-02")); ok || err != nil {
		t.Errorf("off: %v %v", ok, err)
	}
	if _, _, _, err := aggregate.Compared("decade", day("2026-03-01"), day("2026-03-02")); err == nil {
		t.Error("an unknown mode is not an error")
	}
}

func TestViewPeriodsAndComparison(t *testing.T) {
	f := newFixture(t)
	f.addUser("owner@example.com", pw, true)
	site := f.addSite("example.com", 0)
	f.scenario(site)
	b := f.browser()
	b.login("owner@example.com", pw)

	// Today's hits are in every period that ends today.
	for _, p := range []string{"all", "year", "6mo", "12mo"} {
		res := b.get("/example.com?period=" + p)
		if res.code != 200 || kpis(res.body)["visitors"] != "11" {
			t.Errorf("period=%s: %d, visitors %q, want 11", p, res.code, kpis(res.body)["visitors"])
		}
		if !regexp.MustCompile(`href="[^"]*period=` + p + `[^"]*" aria-current="true"`).MatchString(res.body) {
			t.Errorf("period=%s is not marked as the current period", p)
		}
	}
	// An unknown period says so and shows the default.
	res := b.get("/example.com?period=fortnight")
	if res.code != 200 || !strings.Contains(res.body, `Unknown period &#34;fortnight&#34;: showing the last 30 days.`) {
		t.Errorf("period=fortnight: %d, no notice", res.code)
	}
	// Comparison: on by default, with last year's dates, or off.
	today := f.clock.Now()
	if res := b.get("/example.com?period=day"); !strings.Contains(res.body, "compared with "+today.AddDate(0, 0, -1).Format("Mon 2 Jan 2006")) ||
		!strings.Contains(res.body, `class="change`) {
		t.Error("period=day does not compare with yesterday")
	}
	if res := b.get("/example.com?period=day&cmp=year_over_year"); !strings.Contains(res.body, "compared with "+today.AddDate(-1, 0, 0).Format("Mon 2 Jan 2006")) {
		t.Error("cmp=year_over_year does not compare with the same day last year")
	}
	res = b.get("/example.com?period=day&cmp=off")
	if strings.Contains(res.body, "compared with") || strings.Contains(res.body, `class="change`) || kpis(res.body)["visitors"] != "11" {
		t.Error("cmp=off still compares, or lost the numbers")
	}
	if !regexp.MustCompile(`href="[^"]*cmp=off[^"]*" aria-current="true"`).MatchString(res.body) {
		t.Error("the comparison picker does not mark the current choice")
	}
}
