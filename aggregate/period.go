package aggregate

import (
	"fmt"
	"time"
)

// Day returns midnight of t's calendar day in loc.
func Day(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// CivilDay is the number of t's calendar day in loc, as days since
// 1970-01-01: the day key of rollups and of the first-occurrence set.
func CivilDay(t time.Time, loc *time.Location) int64 {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// Range resolves a named period to its first and last day (inclusive) in
// loc, relative to now. Names follow Plausible's date_range: "day" (today),
// "7d", "28d", "30d" and "91d" (the last N days, today included), "month" and "year" (to
// date), "6mo" and "12mo" (whole months, this one included) and "all" (from
// since). tally adds "yesterday" and "last_month" for the dashboard.
func Range(name string, now time.Time, loc *time.Location, since time.Time) (from, to time.Time, err error) {
	today := Day(now, loc)
	switch name {
	case "day", "today":
		return today, today, nil
	case "yesterday":
		y := today.AddDate(0, 0, -1)
		return y, y, nil
	case "7d":
		return today.AddDate(0, 0, -6), today, nil
	case "28d":
		return today.AddDate(0, 0, -27), today, nil
	case "30d":
		return today.AddDate(0, 0, -29), today, nil
	case "91d":
		return today.AddDate(0, 0, -90), today, nil
	case "month":
		return today.AddDate(0, 0, 1-today.Day()), today, nil
	case "last_month":
		first := today.AddDate(0, 0, 1-today.Day())
		return first.AddDate(0, -1, 0), first.AddDate(0, 0, -1), nil
	case "6mo", "12mo":
		n := 6
		if name == "12mo" {
			n = 12
		}
		first := today.AddDate(0, 0, 1-today.Day())
		return first.AddDate(0, 1-n, 0), today, nil
	case "year":
		return time.Date(today.Year(), 1, 1, 0, 0, 0, 0, loc), today, nil
	case "all":
		from = Day(since, loc)
		if from.After(today) {
			from = today
		}
		return from, today, nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("unknown period %q", name)
}

// ParseDay parses "YYYY-MM-DD" as midnight in loc.
func ParseDay(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return t, fmt.Errorf("bad date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// Comparison modes, with Plausible's names: the period just before (of the
// same length), the same days a year earlier, or none.
const (
	ComparePrevious = "previous_period"
	CompareYear     = "year_over_year"
	CompareOff      = "off"
)

// Compared returns the range a period [from, to] is compared with under
// mode; ok is false for CompareOff. An unknown mode is an error, never a
// silent default, so a typo in a URL or an API call is visible.
func Compared(mode string, from, to time.Time) (pfrom, pto time.Time, ok bool, err error) {
	switch mode {
	case ComparePrevious:
		days := int(to.Sub(from).Hours()/24+0.5) + 1
		return from.AddDate(0, 0, -days), to.AddDate(0, 0, -days), true, nil
	case CompareYear:
		// AddDate normalises 29 February to 1 March; the day before is the
		// calendar's answer for "the same day last year".
		pf, pt := from.AddDate(-1, 0, 0), to.AddDate(-1, 0, 0)
		if from.Month() == time.February && from.Day() == 29 {
			pf = pf.AddDate(0, 0, -1)
		}
		if to.Month() == time.February && to.Day() == 29 {
			pt = pt.AddDate(0, 0, -1)
		}
		return pf, pt, true, nil
	case CompareOff:
		return time.Time{}, time.Time{}, false, nil
	}
	return time.Time{}, time.Time{}, false, fmt.Errorf("unknown comparison %q: want %s, %s or %s", mode, ComparePrevious, CompareYear, CompareOff)
}
