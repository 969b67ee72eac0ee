package aggregate

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Metric is one number a query can ask for.
type Metric string

// The metrics, with Plausible's names.
const (
	Visitors      Metric = "visitors"
	Visits        Metric = "visits"
	Pageviews     Metric = "pageviews"
	ViewsPerVisit Metric = "views_per_visit"
	BounceRate    Metric = "bounce_rate"
	VisitDuration Metric = "visit_duration"
	Events        Metric = "events"
)

// Metrics lists every metric, in a stable order.
var Metrics = []Metric{Visitors, Visits, Pageviews, ViewsPerVisit, BounceRate, VisitDuration, Events}

// Valid reports whether m is a known metric.
func (m Metric) Valid() bool {
	for _, k := range Metrics {
		if k == m {
			return true
		}
	}
	return false
}

// Filter operators.
const (
	OpIs          = "is"
	OpIsNot       = "is_not"
	OpContains    = "contains"
	OpContainsNot = "contains_not"
	OpMatches     = "matches"
	OpMatchesNot  = "matches_not"
)

// Filter keeps the cells whose value of Dim satisfies Op for any of Values
// (for the negated operators: for none of them).
type Filter struct {
	Op     string
	Dim    Dim
	Values []string
	res    []*regexp.Regexp
}

// NewFilter validates a filter and compiles its patterns.
func NewFilter(op string, dim Dim, values []string) (Filter, error) {
	f := Filter{Op: op, Dim: dim, Values: values}
	if len(values) == 0 {
		return f, fmt.Errorf("filter on %s has no values", dim)
	}
	switch op {
	case OpIs, OpIsNot, OpContains, OpContainsNot:
	case OpMatches, OpMatchesNot:
		for _, v := range values {
			re, err := regexp.Compile(v)
			if err != nil {
				return f, fmt.Errorf("filter on %s: bad pattern %q: %w", dim, v, err)
			}
			f.res = append(f.res, re)
		}
	default:
		return f, fmt.Errorf("unknown filter operator %q", op)
	}
	return f, nil
}

func (f *Filter) match(v string) bool {
	any := false
	switch f.Op {
	case OpIs, OpIsNot:
		for _, w := range f.Values {
			any = any || v == w
		}
	case OpContains, OpContainsNot:
		lv := strings.ToLower(v)
		for _, w := range f.Values {
			any = any || strings.Contains(lv, strings.ToLower(w))
		}
	case OpMatches, OpMatchesNot:
		for _, re := range f.res {
			any = any || re.MatchString(v)
		}
	}
	if f.Op == OpIsNot || f.Op == OpContainsNot || f.Op == OpMatchesNot {
		return !any
	}
	return any
}

// Grain is a time dimension's bucket size.
type Grain int

const (
	NoTime Grain = iota
	ByHour
	ByDay
	ByWeek
	ByMonth
	ByHourOfDay // 0–23, summed over the range
	ByDayOfWeek // 1 (Monday) – 7
)

// Dimension is one group-by: a cell dimension or a time grain.
type Dimension struct {
	Name  string // the API name, e.g. "visit:country" or "time:day"
	Dim   Dim
	Grain Grain
}

var timeDims = map[string]Grain{
	"time:hour": ByHour, "time:day": ByDay, "time:week": ByWeek, "time:month": ByMonth,
	"time:hour_of_day": ByHourOfDay, "time:day_of_week": ByDayOfWeek,
}

// ParseDimension resolves an API dimension name. "time" picks a grain that
// suits the range: hours for one day, days up to ~3 months, else months.
func ParseDimension(name string, from, to time.Time) (Dimension, error) {
	if name == "time" {
		g := ByMonth
		switch days := int(to.Sub(from).Hours()/24) + 1; {
		case days <= 1:
			g = ByHour
		case days <= 92:
			g = ByDay
		}
		return Dimension{Name: name, Grain: g}, nil
	}
	if g, ok := timeDims[name]; ok {
		return Dimension{Name: name, Grain: g}, nil
	}
	if d, ok := ParseDim(name); ok {
		return Dimension{Name: name, Dim: d}, nil
	}
	return Dimension{}, fmt.Errorf("unknown dimension %q", name)
}

// Order sorts results by a metric or a dimension name.
type Order struct {
	By   string
	Desc bool
}

// Query is a parsed, validated question about one site.
type Query struct {
	Site       Site
	From, To   time.Time // first and last day, inclusive, at midnight in the site's zone
	Metrics    []Metric
	Dimensions []Dimension
	Filters    []Filter
	OrderBy    []Order
	Limit      int // 0: no limit
	Offset     int
}

// Row is one result group.
type Row struct {
	Dimensions []string
	Metrics    []Number
}

// Number is a metric value; it encodes as a plain JSON number (10, not 10.0).
type Number float64

func (n Number) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(n), 'f', -1, 64), nil
}

// Result holds the page of rows asked for and how many rows there are in all.
type Result struct {
	Rows      []Row
	TotalRows int
}

// Engine answers queries by merging stored cells with the open ones in memory.
// The dashboard, the Stats API and public reports all use it: one set of
// semantics, one implementation.
type Engine struct {
	store     Store
	agg       *Aggregator // nil: stored cells only (admin commands, reports)
	noRollups bool
}

// NewEngine returns an engine over store and, when not nil, agg's open cells.
func NewEngine(store Store, agg *Aggregator) *Engine { return &Engine{store: store, agg: agg} }

// WithoutRollups returns an engine that always reads full cells, for tests
// and benchmarks that compare the two paths.
func (e *Engine) WithoutRollups() *Engine {
	c := *e
	c.noRollups = true
	return &c
}

// Empty values are shown as Plausible shows them, and filters match what is shown.
const (
	NoneSource = "Direct / None"
	NotSet     = "(not set)"
)

func display(d Dim, v string) string {
	if v != "" {
		return v
	}
	if d == Source {
		return NoneSource
	}
	return NotSet
}

// group accumulates the cells of one result row.
type group struct {
	dims     []string
	counters Counters
	days     map[string]*dayVisitors // by day in the site's zone
}

// run is one query's accumulation: the groups the rows fall into.
type run struct {
	q          *Query
	loc        *time.Location
	exits      bool // the query reads exit cells (see Run)
	needSketch bool // the query asks for visitors
	groups     map[string]*group
	sb         strings.Builder
}

// group returns the group c counts in (made if missing and create is set),
// or nil when c does not count in the query.
func (r *run) group(c *Cell, local time.Time, create bool) *group {
	if isExit(&c.Key) != r.exits {
		return nil
	}
	for i := range r.q.Filters {
		f := &r.q.Filters[i]
		if !f.match(display(f.Dim, c.Key[f.Dim])) {
			return nil
		}
	}
	r.sb.Reset()
	for _, d := range r.q.Dimensions {
		r.sb.WriteString(dimValue(d, c, local))
		r.sb.WriteByte(0)
	}
	g := r.groups[r.sb.String()]
	if g == nil && create {
		g = &group{dims: make([]string, 0, len(r.q.Dimensions)), days: map[string]*dayVisitors{}}
		for _, d := range r.q.Dimensions {
			g.dims = append(g.dims, dimValue(d, c, local))
		}
		r.groups[r.sb.String()] = g
	}
	return g
}

// addCounters adds c's counters to its group and returns the group, or nil
// when c does not count in the query.
func (r *run) addCounters(c *Cell, local time.Time) *group {
	g := r.group(c, local, true)
	if g == nil {
		return nil
	}
	cnt := c.Counters
	if r.exits {
		cnt.Visits = c.Exits
	}
	g.counters.Add(cnt)
	return g
}

// add counts a cell, or a rollup that came with its sketch.
func (r *run) add(c *Cell) error {
	local := c.Hour.In(r.loc)
	g := r.addCounters(c, local)
	if g != nil && r.needSketch && c.Sketch != nil {
		g.day(local).merge(c.Sketch)
	}
	return nil
}

// Run answers q.
func (e *Engine) Run(ctx context.Context, q Query) (Result, error) {
	loc := q.Site.Location()
	start := time.Date(q.From.Year(), q.From.Month(), q.From.Day(), 0, 0, 0, 0, loc)
	end := time.Date(q.To.Year(), q.To.Month(), q.To.Day()+1, 0, 0, 0, 0, loc)
	if !end.After(start) {
		return Result{}, fmt.Errorf("date range ends before it starts")
	}
	// Hour cells are UTC; a zone with a half-hour offset gets whole UTC hours
	// that start inside its days.
	from := start.UTC().Add(time.Hour - 1).Truncate(time.Hour)
	to := end.UTC().Add(time.Hour - 1).Truncate(time.Hour)

	r := &run{q: &q, loc: loc, groups: map[string]*group{}}
	// Exit pages exist only in exit cells; any query that names the
	// exit page reads those, and counts their exits as its visits.
	for _, d := range q.Dimensions {
		r.exits = r.exits || (d.Grain == NoTime && d.Dim == ExitPage)
	}
	for _, f := range q.Filters {
		r.exits = r.exits || f.Dim == ExitPage
	}
	for _, m := range q.Metrics {
		r.needSketch = r.needSketch || m == Visitors
	}

	var err error
	if d, ok := rollupDim(&q); ok && !e.noRollups {
		err = e.readRollups(ctx, r, d)
	} else {
		err = e.readCells(ctx, q.Site.ID, from, to, r.needSketch, r.add)
	}
	if err != nil {
		return Result{}, fmt.Errorf("query %s: %w", q.Site.Domain, err)
	}

	rows := make([]Row, 0, len(r.groups))
	for _, g := range r.groups {
		// With no dimension, a range without hits still answers one row of zeros.
		rows = append(rows, Row{Dimensions: g.dims, Metrics: metrics(q.Metrics, g)})
	}
	if len(q.Dimensions) == 0 && len(rows) == 0 {
		rows = append(rows, Row{Dimensions: []string{}, Metrics: metrics(q.Metrics, &group{})})
	}
	sortRows(rows, q)
	res := Result{TotalRows: len(rows)}
	if q.Offset >= len(rows) {
		rows = rows[:0]
	} else {
		rows = rows[q.Offset:]
	}
	if q.Limit > 0 && len(rows) > q.Limit {
		rows = rows[:q.Limit]
	}
	res.Rows = rows
	return res, nil
}

// readCells feeds add the cells of [from, to): the open ones in memory, then
// the stored ones except this instance's older copies of those.
func (e *Engine) readCells(ctx context.Context, site int64, from, to time.Time, sketches bool, add func(*Cell) error) error {
	var open map[cellID]bool
	if e.agg != nil {
		var err error
		if open, err = e.agg.snapshot(ctx, site, from, to, sketches, add); err != nil {
			return err
		}
	}
	var id []byte
	return e.store.ReadCells(ctx, site, from, to, func(c *Cell) error {
		if e.agg != nil && c.Instance == e.agg.instance {
			id = appendCellID(id[:0], c.Site, c.Hour.Unix(), &c.Key)
			if open[cellID(id)] {
				return nil // the in-memory copy of this cell is newer
			}
		}
		return add(c)
	})
}

// readRollups does the same from the day rollups of one dimension, in two
// steps. First the open rollups (with their sketches) and the stored rows
// without sketches: counters and each row's stored visitors estimate.
// Visitors are distinct per day, so a group's day that has one row is that
// row's estimate — the common case. Only days where a group has several
// rows (several instances, or a restart that day) or a row of unknown
// estimate need sketches; the second step reads those days' sketches.
func (e *Engine) readRollups(ctx context.Context, r *run, d Dim) error {
	q := r.q
	from := time.Date(q.From.Year(), q.From.Month(), q.From.Day(), 0, 0, 0, 0, time.UTC)
	to := time.Date(q.To.Year(), q.To.Month(), q.To.Day(), 0, 0, 0, 0, time.UTC)
	feed := func(ro *Rollup) error {
		c := ro.asCell(r.loc)
		return r.add(&c)
	}
	var open map[rollupID]bool
	if e.agg != nil {
		var err error
		if open, err = e.agg.snapshotRollups(ctx, q.Site.ID, d, from, to, r.needSketch, feed); err != nil {
			return err
		}
	}
	err := e.store.ReadRollupEstimates(ctx, q.Site.ID, d, from, to, func(ro *Rollup) error {
		if e.agg != nil && ro.Instance == e.agg.instance && open[rollupID{ro.Site, ro.Day.Unix(), ro.Dim, ro.Value}] {
			return nil // the in-memory copy of this rollup is newer
		}
		r.addBare(ro)
		return nil
	})
	if err != nil || !r.needSketch {
		return err
	}
	for _, span := range r.sketchDays() {
		// fill takes exactly the rows the first step read without sketch
		// (by instance and value), so this instance's open rollups and rows
		// written in between are not counted twice.
		if err := e.store.ReadRollups(ctx, q.Site.ID, d, span[0], span[1], func(ro *Rollup) error {
			r.fill(ro)
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func dimValue(d Dimension, c *Cell, local time.Time) string {
	switch d.Grain {
	case NoTime:
		return display(d.Dim, c.Key[d.Dim])
	case ByHour:
		return local.Format(time.DateTime)
	case ByDay:
		return local.Format(time.DateOnly)
	case ByWeek:
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)).Format(time.DateOnly)
	case ByMonth:
		return time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	case ByHourOfDay:
		return strconv.Itoa(local.Hour())
	case ByDayOfWeek:
		return strconv.Itoa((int(local.Weekday())+6)%7 + 1)
	}
	return ""
}

func metrics(ms []Metric, g *group) []Number {
	c := g.counters
	ratio := func(a, b int64) float64 {
		if b <= 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	out := make([]Number, len(ms))
	for i, m := range ms {
		var v float64
		switch m {
		case Visitors:
			// Distinct within a day, summed over days (the salt rotates daily).
			for _, d := range g.days {
				v += float64(d.estimate())
			}
		case Visits:
			v = float64(c.Visits)
		case Pageviews:
			v = float64(c.Pageviews)
		case Events:
			v = float64(c.Events)
		case ViewsPerVisit:
			v = math.Round(ratio(c.Pageviews, c.Visits)*100) / 100
		case BounceRate:
			v = math.Round(ratio(c.Bounces, c.Visits) * 100)
		case VisitDuration:
			v = math.Round(ratio(c.Duration, c.Visits))
		}
		out[i] = Number(v)
	}
	return out
}

// sortRows orders by q.OrderBy, then by the default: time dimensions
// ascending, else the first metric descending; dimension values break ties.
func sortRows(rows []Row, q Query) {
	type key struct {
		metric int // index into Metrics, or -1
		dim    int // index into Dimensions, or -1
		desc   bool
	}
	var keys []key
	for _, o := range q.OrderBy {
		k := key{metric: -1, dim: -1, desc: o.Desc}
		for i, m := range q.Metrics {
			if string(m) == o.By {
				k.metric = i
			}
		}
		for i, d := range q.Dimensions {
			if d.Name == o.By {
				k.dim = i
			}
		}
		keys = append(keys, k)
	}
	for i, d := range q.Dimensions {
		if d.Grain != NoTime {
			keys = append(keys, key{metric: -1, dim: i})
		}
	}
	if len(q.Metrics) > 0 {
		keys = append(keys, key{metric: 0, dim: -1, desc: true})
	}
	for i := range q.Dimensions {
		keys = append(keys, key{metric: -1, dim: i})
	}
	sort.SliceStable(rows, func(a, b int) bool {
		for _, k := range keys {
			var c int
			if k.metric >= 0 {
				x, y := rows[a].Metrics[k.metric], rows[b].Metrics[k.metric]
				c = cmpNum(x, y)
			} else {
				c = cmpDim(rows[a].Dimensions[k.dim], rows[b].Dimensions[k.dim])
			}
			if c != 0 {
				if k.desc {
					return c > 0
				}
				return c < 0
			}
		}
		return false
	})
}

func cmpNum(x, y Number) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// cmpDim compares numerically when both values are integers (hour of day).
func cmpDim(x, y string) int {
	if a, err := strconv.Atoi(x); err == nil {
		if b, err := strconv.Atoi(y); err == nil {
			return cmpNum(Number(a), Number(b))
		}
	}
	return strings.Compare(x, y)
}
