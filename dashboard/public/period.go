package public

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"tally/aggregate"
)

// Period is the stretch of whole, closed days a public view covers, with
// the grain of its series: days for a month or less, months for longer —
// never hours.
type Period struct {
	Name     string    // "2026-10", "2026-Q4", "2026", "2026-W41", "2026-10-05", or a range such as "30d"
	From, To time.Time // first and last day, inclusive, midnight in the site's zone
	Grain    string    // "day" or "month"
}

// Settle is how long after a site's midnight the day before counts as
// closed. Hits are counted at the time they arrive and every instance
// checkpoints within seconds, so after an hour a closed day's counters no
// longer move: a public view built from them again shows the same numbers.
const Settle = time.Hour

// ErrNotClosed is returned for a period whose last day has not closed yet.
var ErrNotClosed = errors.New("the period has not ended yet: public views cover closed days only")

// LastClosedDay is the last day in loc that public views may show at now:
// yesterday, once Settle has passed since midnight.
func LastClosedDay(now time.Time, loc *time.Location) time.Time {
	return aggregate.Day(now.Add(-Settle), loc).AddDate(0, 0, -1)
}

var (
	dayRe     = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)
	weekRe    = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)
	monthRe   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	quarterRe = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)
	yearRe    = regexp.MustCompile(`^(\d{4})$`)
)

// ParsePeriod reads a report period in the site's zone: a day
// "2026-10-05", an ISO week "2026-W41", a month "2026-10", a quarter
// "2026-Q4" or a year "2026".
func ParsePeriod(s string, loc *time.Location) (Period, error) {
	var from, to time.Time
	switch {
	case dayRe.MatchString(s):
		d, err := aggregate.ParseDay(s, loc)
		if err != nil {
			return Period{}, err
		}
		from, to = d, d
	case weekRe.MatchString(s):
		m := weekRe.FindStringSubmatch(s)
		y, _ := strconv.Atoi(m[1])
		w, _ := strconv.Atoi(m[2])
		// ISO week 1 holds January 4th; weeks start on Monday.
		jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, loc)
		from = jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(w-1))
		if wy, ww := from.ISOWeek(); w < 1 || wy != y || ww != w {
			return Period{}, fmt.Errorf("bad week in period %q", s)
		}
		to = from.AddDate(0, 0, 6)
	case monthRe.MatchString(s):
		m := monthRe.FindStringSubmatch(s)
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return Period{}, fmt.Errorf("bad month in period %q", s)
		}
		from = time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, loc)
		to = from.AddDate(0, 1, -1)
	case quarterRe.MatchString(s):
		m := quarterRe.FindStringSubmatch(s)
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		from = time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, loc)
		to = from.AddDate(0, 3, -1)
	case yearRe.MatchString(s):
		y, _ := strconv.Atoi(s)
		from = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
		to = from.AddDate(1, 0, -1)
	default:
		return Period{}, fmt.Errorf("unknown period %q: want a day 2026-10-05, a week 2026-W41, a month 2026-10, a quarter 2026-Q4 or a year 2026", s)
	}
	return Period{Name: s, From: from, To: to, Grain: grainFor(from, to)}, nil
}

// RangePeriod resolves a shared dashboard's range name relative to the
// last closed day: "30d" (the 30 days to it), "month" (its month up to
// it), "last_month" (the whole month before), "12mo" (the last 12 whole
// closed months).
func RangePeriod(name string, now time.Time, loc *time.Location) (Period, error) {
	last := LastClosedDay(now, loc)
	first := monthStart(last)
	var from, to time.Time
	switch name {
	case "30d":
		from, to = last.AddDate(0, 0, -29), last
	case "month":
		from, to = first, last
	case "last_month":
		from, to = first.AddDate(0, -1, 0), first.AddDate(0, 0, -1)
	case "12mo":
		end := lastWholeMonth(last)
		from, to = end.AddDate(0, -11, 0), end.AddDate(0, 1, -1)
	default:
		return Period{}, fmt.Errorf("unknown range %q", name)
	}
	return Period{Name: name, From: from, To: to, Grain: grainFor(from, to)}, nil
}

// lastWholeMonth is the first day of the last month that ended by last.
func lastWholeMonth(last time.Time) time.Time {
	if last.AddDate(0, 0, 1).Day() == 1 {
		return monthStart(last)
	}
	return monthStart(last).AddDate(0, -1, 0)
}

func monthStart(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, d.Location())
}

func grainFor(from, to time.Time) string {
	if to.Sub(from) > 31*24*time.Hour {
		return "month"
	}
	return "day"
}

// closed reports whether every day of the period has closed at now.
func (p Period) closed(now time.Time, loc *time.Location) bool {
	return !p.To.After(LastClosedDay(now, loc))
}
