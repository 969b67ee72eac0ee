package public

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"tally/aggregate"
)

// Period is the stretch of days a public view covers, with the grain of its
// time series: days for a month or less, weeks for longer — never hours.
type Period struct {
	Name     string    // "2026-10", "2026-Q4", "2026", or a range such as "30d"
	From, To time.Time // first and last day, inclusive, midnight in the site's zone
	Grain    string    // "day" or "week"
}

var (
	monthRe   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	quarterRe = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)
	yearRe    = regexp.MustCompile(`^(\d{4})$`)
)

// ParsePeriod reads a report period: a month "2026-10", a quarter
// "2026-Q4" or a year "2026", in the site's zone.
func ParsePeriod(s string, loc *time.Location) (Period, error) {
	var from, to time.Time
	switch {
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
		return Period{}, fmt.Errorf("unknown period %q: want a month 2026-10, a quarter 2026-Q4 or a year 2026", s)
	}
	return Period{Name: s, From: from, To: to, Grain: grainFor(from, to)}, nil
}

// RangePeriod resolves a shared dashboard's range name ("30d", "month",
// "last_month", "12mo") relative to now.
func RangePeriod(name string, now time.Time, loc *time.Location) (Period, error) {
	switch name {
	case "30d", "month", "last_month", "12mo":
	default:
		return Period{}, fmt.Errorf("unknown range %q", name)
	}
	from, to, err := aggregate.Range(name, now, loc, now)
	if err != nil {
		return Period{}, err
	}
	return Period{Name: name, From: from, To: to, Grain: grainFor(from, to)}, nil
}

func grainFor(from, to time.Time) string {
	if to.Sub(from) > 31*24*time.Hour {
		return "week"
	}
	return "day"
}

// clip ends the period at today, so a report on the running month has no
// series points for days that have not happened.
func (p Period) clip(now time.Time, loc *time.Location) Period {
	today := aggregate.Day(now, loc)
	if p.To.After(today) {
		p.To = today
	}
	return p
}
