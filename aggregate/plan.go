package aggregate

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Plan is a query compiled for the stores: one SELECT over the cells table
// that filters, groups, sums, orders and cuts to the page asked for. Each
// store renders it with its Dialect (SQL) and scans the rows into Groups
// (Dest); the engine turns groups into result rows.
type Plan struct {
	q        *Query
	from, to int64  // the UTC hours read: from <= hour < to, Unix seconds
	exits    bool   // the query reads exit cells (it names the exit page)
	eng      bool   // the query reads engagement cells (table engagement), not cells
	props    bool   // the query reads property cells (table props), not cells
	prop     string // the one property key it reads; "" for all (a breakdown by key)
	unique   Unique
	exact    bool     // whether visitors are exact for this query (uniqueFor)
	offsets  []offset // the site's UTC offset over the range, for time grains
	// rollup says whether day rollups can answer the query (the store
	// decides whether it keeps them: Dialect.Rollups), of which dimension
	// (its column; "" for the totals), and over which days.
	rollup            bool
	rollDim           string
	firstDay, lastDay int64 // civil days, as days since 1970-01-01
	// peek asks the store for one row past the page, to learn whether
	// there are more without counting them (Engine.Run).
	peek bool
}

// offset is the zone's offset (seconds) from the instant at (Unix seconds) on.
type offset struct{ at, secs int64 }

// Group is one result row as the store returns it: for each dimension its
// value (Value for a cell dimension, Bucket for a time grain), then the sums.
type Group struct {
	Values  []string
	Buckets []int64
	Sums    Sums
}

// Sums are a group's summed counters.
type Sums struct {
	Pageviews, Events, Visits, Bounces, Duration, Visitors int64
}

// Dialect is what differs between the stores' SQL.
type Dialect interface {
	// Instant is a UTC instant given as Unix seconds in a parameter, in the
	// hour column's type.
	Instant(param string) string
	// Seconds is the hour column as Unix seconds (an integer).
	Seconds(col string) string
	// If is a conditional expression.
	If(cond, then, els string) string
	// IntDiv divides two non-negative integers, rounding down.
	IntDiv(a, b string) string
	// ToInt truncates a non-negative number to a 64-bit signed integer.
	ToInt(x string) string
	// Month is YYYYMM of Unix seconds taken as UTC.
	Month(secs string) string
	// Rollups reports whether the store's day rollups (table rollups) hold
	// every day from firstDay (days since 1970-01-01) on.
	Rollups(firstDay int64) bool
	// Contains is true when the column holds the parameter, case-insensitively;
	// ascii says the parameter is ASCII text.
	Contains(col, param string, ascii bool) string
	// Matches is true when the RE2 pattern in the parameter matches the column.
	Matches(col, param string) string
	// Sum sums a column, 0 over no rows.
	Sum(col string) string
	// Limit is the LIMIT/OFFSET clause for a page (limit 0: no limit).
	Limit(limit, offset int) string
}

// Compile validates q and plans it.
func Compile(q *Query) (*Plan, error) {
	loc := q.Site.Location()
	start := time.Date(q.From.Year(), q.From.Month(), q.From.Day(), 0, 0, 0, 0, loc)
	end := time.Date(q.To.Year(), q.To.Month(), q.To.Day()+1, 0, 0, 0, 0, loc)
	from, to, err := dayHours(q.Site, q.From, q.To)
	if err != nil {
		return nil, err
	}
	if err := checkSize(q, start, end); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	p := &Plan{q: q, from: from.Unix(), to: to.Unix()}
	var grouped, filtered []Dim
	timeGrain, hourly := false, false
	for _, d := range q.Dimensions {
		if d.Grain == NoTime {
			grouped = append(grouped, d.Dim)
			p.exits = p.exits || d.Dim == ExitPage
		} else {
			timeGrain = true
			hourly = hourly || d.Grain == ByHour || d.Grain == ByHourOfDay
		}
	}
	for _, f := range q.Filters {
		filtered = append(filtered, f.Dim)
		p.exits = p.exits || f.Dim == ExitPage
	}
	if usesEngagement(q) {
		if err := p.planEngagement(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	} else if usesProps(q) {
		if err := p.planProps(grouped, filtered, hourly); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	} else {
		p.unique, p.exact = uniqueFor(grouped, filtered, hourly)
	}
	for _, f := range q.Filters {
		// A filter that lets several values of a hit- or visit-level
		// dimension through counts a visitor once per value it had:
		// first occurrences of different values are different counts.
		// Where the query groups by that dimension, each row is one value.
		if f.Dim.Level() != VisitorLevel && (f.Op != OpIs || len(f.Values) != 1) && !slices.Contains(grouped, f.Dim) {
			p.exact = false
		}
	}
	if timeGrain {
		p.offsets = offsets(loc, time.Unix(p.from, 0), time.Unix(p.to, 0))
	}
	if !p.props && !p.eng {
		p.planRollup(grouped, filtered)
	}
	for _, o := range q.OrderBy {
		if p.orderExpr(o.By) == "" {
			return nil, fmt.Errorf("%w: cannot order by %q: not a metric or dimension of the query", ErrInvalid, o.By)
		}
	}
	return p, nil
}

// planRollup decides whether day rollups answer the query: at most one
// dimension besides time, time grains no finer than a day, and filters on
// that dimension only.
func (p *Plan) planRollup(grouped, filtered []Dim) {
	for _, dim := range p.q.Dimensions {
		if dim.Grain == ByHour || dim.Grain == ByHourOfDay {
			return
		}
	}
	if len(grouped) > 1 {
		return
	}
	if len(grouped) == 1 {
		p.rollDim = grouped[0].Column()
	}
	for _, d := range filtered {
		if p.rollDim == "" {
			p.rollDim = d.Column()
		}
		if d.Column() != p.rollDim {
			p.rollDim = ""
			return
		}
	}
	p.rollup = true
	p.firstDay, p.lastDay = CivilDay(p.q.From, p.q.From.Location()), CivilDay(p.q.To, p.q.To.Location())
}

// Limits on one query, so that no request makes the store do unbounded work
// (every value of a filter is one more condition on every row read).
const (
	MaxRangeDays    = 366 * 20
	MaxFilters      = 20
	MaxFilterValues = 100
	MaxDimensions   = 6
	MaxPatternLen   = 1000
	// A pattern's compiled program: a path pattern takes a few dozen
	// instructions; `.{0,1000}` alone takes 2 000.
	MaxPatternProg = 1000
	// All patterns of one query together.
	MaxQueryProg = 5000
)

func checkSize(q *Query, start, end time.Time) error {
	if end.Sub(start) > MaxRangeDays*24*time.Hour {
		return fmt.Errorf("date range longer than %d days", MaxRangeDays)
	}
	if len(q.Filters) > MaxFilters {
		return fmt.Errorf("%d filters: at most %d", len(q.Filters), MaxFilters)
	}
	prog := 0
	for _, f := range q.Filters {
		if prog += f.prog; prog > MaxQueryProg {
			return fmt.Errorf("the filters' patterns are too complex together (more than %d instructions compiled)", MaxQueryProg)
		}
		if len(f.Values) > MaxFilterValues {
			return fmt.Errorf("filter on %s has %d values: at most %d", f.Dim, len(f.Values), MaxFilterValues)
		}
		for _, v := range f.Values {
			if len(v) > MaxPatternLen {
				return fmt.Errorf("filter on %s: a value longer than %d bytes", f.Dim, MaxPatternLen)
			}
		}
	}
	if len(q.Dimensions) > MaxDimensions {
		return fmt.Errorf("%d dimensions: at most %d", len(q.Dimensions), MaxDimensions)
	}
	seen := map[string]bool{}
	for _, d := range q.Dimensions {
		if seen[d.Name] {
			return fmt.Errorf("dimension %s named twice", d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

// Exact reports whether the query's visitors are exact (docs/metrics.md).
func (p *Plan) Exact() bool { return p.exact }

// offsets lists the zone's UTC offsets over [from, to): one entry, plus one
// for each transition (daylight saving time) inside the range.
func offsets(loc *time.Location, from, to time.Time) []offset {
	t := from.In(loc)
	_, secs := t.Zone()
	out := []offset{{at: from.Unix(), secs: int64(secs)}}
	for {
		_, end := t.ZoneBounds()
		if !end.After(t) {
			// No end (a fixed zone), or Go's rule-based zone data giving a
			// year's end as the bound at t itself: look again an hour on.
			if end.IsZero() {
				return out
			}
			end = t.Add(time.Hour)
		}
		if !end.Before(to) {
			return out
		}
		t = end.In(loc)
		if _, secs = t.Zone(); int64(secs) != out[len(out)-1].secs {
			out = append(out, offset{at: end.Unix(), secs: int64(secs)})
		}
	}
}

// Dest returns the scan destinations of one row of p.SQL into g.
func (p *Plan) Dest(g *Group) []any {
	n := len(p.q.Dimensions)
	g.Values, g.Buckets = make([]string, n), make([]int64, n)
	out := make([]any, 0, n+6)
	for i, dim := range p.q.Dimensions {
		if dim.Grain == NoTime {
			out = append(out, &g.Values[i])
		} else {
			out = append(out, &g.Buckets[i])
		}
	}
	s, n := &g.Sums, p.needs()
	for _, f := range []struct {
		bit int
		v   *int64
	}{{sumPageviews, &s.Pageviews}, {sumEvents, &s.Events}, {sumVisits, &s.Visits}, {sumBounces, &s.Bounces},
		{sumDuration, &s.Duration}, {sumVisitors, &s.Visitors}} {
		if n&f.bit != 0 {
			out = append(out, f.v)
		}
	}
	return out
}

// row turns a group into a result row.
func (p *Plan) row(g *Group) Row {
	r := Row{Dimensions: make([]string, len(p.q.Dimensions)), Metrics: make([]Number, len(p.q.Metrics))}
	for i, dim := range p.q.Dimensions {
		if dim.Grain == NoTime {
			r.Dimensions[i] = g.Values[i]
		} else {
			r.Dimensions[i] = bucketName(dim.Grain, g.Buckets[i])
		}
	}
	s := g.Sums
	ratio := func(num int64, scale float64) float64 {
		if s.Visits <= 0 {
			return 0
		}
		return float64(int64(scale*float64(num)/float64(s.Visits) + 0.5))
	}
	for i, m := range p.q.Metrics {
		var v float64
		switch m {
		case Visitors, Percentage: // the engine divides percentages by the total
			v = float64(s.Visitors)
		case Visits:
			v = float64(s.Visits)
		case Pageviews:
			v = float64(s.Pageviews)
		case Events:
			v = float64(s.Events)
		case ViewsPerVisit:
			v = ratio(s.Pageviews, 100) / 100
		case BounceRate:
			v = ratio(s.Bounces, 100)
		case VisitDuration:
			v = ratio(s.Duration, 1)
		case ScrollDepth:
			v = ratio(s.Bounces, 1)
		case TimeOnPage:
			v = ratio(s.Duration, 0.001)
		}
		r.Metrics[i] = Number(v)
	}
	return r
}

// bucketName shows a time bucket as the API does.
func bucketName(g Grain, b int64) string {
	switch g {
	case ByHour:
		return time.Unix(b, 0).UTC().Format(time.DateTime)
	case ByDay, ByWeek:
		return time.Unix(b*86400, 0).UTC().Format(time.DateOnly)
	case ByMonth:
		return fmt.Sprintf("%04d-%02d-01", b/100, b%100)
	}
	return strconv.FormatInt(b, 10)
}
