package dashboard

import (
	"fmt"
	"testing"
	"time"

	"tally/aggregate"
)

func TestParseV1Filters(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the filters, formatted; "" for an error
	}{
		{"empty", "", "[]"},
		{"is", "visit:browser==Firefox", "[is visit:browser [Firefox]]"},
		{"is not", "visit:browser!=Firefox", "[is_not visit:browser [Firefox]]"},
		{"contains", "event:page~blog", "[contains event:page [blog]]"},
		{"contains not", "event:page!~blog", "[contains_not event:page [blog]]"},
		{"any of", "visit:country==FR|DE", "[is visit:country [FR DE]]"},
		{"escaped bar", `visit:utm_campaign==a\|b|c`, "[is visit:utm_campaign [a|b c]]"},
		{"and", "visit:browser==Firefox;visit:os==Linux", "[is visit:browser [Firefox] is visit:os [Linux]]"},
		{"spaces", " visit:browser==Firefox ; visit:os==Linux ", "[is visit:browser [Firefox] is visit:os [Linux]]"},
		{"wildcard", "event:page==/blog/**", `[matches event:page [^/blog/.*$]]`},
		{"segment wildcard", "event:page!=/docs/*/intro|/a.b", `[matches_not event:page [^/docs/[^/]*/intro$ ^/a\.b$]]`},
		{"value with ==", "event:page==/a==b", "[is event:page [/a==b]]"},
		{"country name", "visit:country_name==Germany|France", "[is visit:country [DE FR]]"},
		{"no operator", "visit:browser", ""},
		{"unknown dimension", "visit:shoe==42", ""},
		{"no dimension", "==42", ""},
		{"city", "visit:city==Berlin", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := parseV1Filters(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Errorf("got %v, want an error", fs)
				}
				return
			}
			got := "["
			for i, f := range fs {
				if i > 0 {
					got += " "
				}
				got += fmt.Sprintf("%s %s %v", f.Op, f.Dim, f.Values)
			}
			if got += "]"; err != nil || got != tt.want {
				t.Errorf("got %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestV1Range(t *testing.T) {
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	since := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct{ period, date, from, to string }{
		{"day", "", "2026-03-10", "2026-03-10"},
		{"7d", "", "2026-03-04", "2026-03-10"},
		{"30d", "2026-01-31", "2026-01-02", "2026-01-31"},
		{"month", "2026-02-14", "2026-02-01", "2026-02-28"},
		{"month", "", "2026-03-01", "2026-03-10"},
		{"6mo", "", "2025-10-01", "2026-03-10"},
		{"12mo", "", "2025-04-01", "2026-03-10"},
		{"year", "2025-07-01", "2025-01-01", "2025-12-31"},
		{"all", "", "2025-06-01", "2026-03-10"},
		{"custom", "2026-01-01,2026-01-31", "2026-01-01", "2026-01-31"},
	}
	for _, tt := range tests {
		from, to, err := v1Range(tt.period, tt.date, now, time.UTC, since)
		if err != nil || from.Format(time.DateOnly) != tt.from || to.Format(time.DateOnly) != tt.to {
			t.Errorf("%s %s: %s – %s, %v; want %s – %s", tt.period, tt.date, from.Format(time.DateOnly), to.Format(time.DateOnly), err, tt.from, tt.to)
		}
	}
	for _, bad := range [][2]string{{"fortnight", ""}, {"custom", "2026-01-01"}, {"custom", "2026-02-01,2026-01-01"}, {"day", "yesterday"}} {
		if _, _, err := v1Range(bad[0], bad[1], now, time.UTC, since); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestMetricChange(t *testing.T) {
	tests := []struct {
		m         aggregate.Metric
		cur, prev float64
		want      aggregate.Number
	}{
		{aggregate.Visitors, 150, 100, 50},
		{aggregate.Visitors, 50, 100, -50},
		{aggregate.Visitors, 5, 0, 100},
		{aggregate.Visitors, 0, 0, 0},
		{aggregate.Pageviews, 2, 3, -33},
		{aggregate.BounceRate, 40, 55, -15},
	}
	for _, tt := range tests {
		if got := metricChange(tt.m, tt.cur, tt.prev); got != tt.want {
			t.Errorf("%s %v→%v: %v, want %v", tt.m, tt.prev, tt.cur, got, tt.want)
		}
	}
}

// FuzzV1Filters feeds arbitrary v1 filter strings to the parser: it returns
// filters the engine accepts, or an error, and never panics.
func FuzzV1Filters(f *testing.F) {
	for _, seed := range []string{"visit:browser==Firefox", "event:page==/blog/**;visit:country!=DE|FR", `visit:utm_campaign==a\|b`,
		"event:page~x;event:page!~y", "==", ";;", "visit:country_name==Germany", "event:page==***|\\"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := parseV1Filters(s)
		if err != nil {
			return
		}
		for _, flt := range fs {
			if _, err := aggregate.NewFilter(flt.Op, flt.Dim, flt.Values); err != nil {
				t.Errorf("%q parsed to a filter the engine rejects: %v", s, err)
			}
		}
	})
}
