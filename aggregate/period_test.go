package aggregate

import (
	"testing"
	"time"
)

func TestRange(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	// 23:30 UTC on 10 March is already 11 March in Paris.
	now := time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC)
	since := time.Date(2025, 6, 15, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		loc      *time.Location
		from, to string
	}{
		{"day", time.UTC, "2026-03-10", "2026-03-10"},
		{"day", paris, "2026-03-11", "2026-03-11"},
		{"yesterday", time.UTC, "2026-03-09", "2026-03-09"},
		{"7d", time.UTC, "2026-03-04", "2026-03-10"},
		{"28d", time.UTC, "2026-02-11", "2026-03-10"},
		{"30d", time.UTC, "2026-02-09", "2026-03-10"},
		{"91d", time.UTC, "2025-12-10", "2026-03-10"},
		{"month", time.UTC, "2026-03-01", "2026-03-10"},
		{"last_month", time.UTC, "2026-02-01", "2026-02-28"},
		{"6mo", time.UTC, "2025-10-01", "2026-03-10"},
		{"12mo", time.UTC, "2025-04-01", "2026-03-10"},
		{"year", time.UTC, "2026-01-01", "2026-03-10"},
		{"all", time.UTC, "2025-06-15", "2026-03-10"},
	}
	for _, tt := range tests {
		from, to, err := Range(tt.name, now, tt.loc, since)
		if err != nil || from.Format(time.DateOnly) != tt.from || to.Format(time.DateOnly) != tt.to || from.Location() != tt.loc {
			t.Errorf("%s in %s: %s – %s, %v; want %s – %s", tt.name, tt.loc, from, to, err, tt.from, tt.to)
		}
	}
	if _, _, err := Range("fortnight", now, time.UTC, since); err == nil {
		t.Error("an unknown period is not an error")
	}
}
