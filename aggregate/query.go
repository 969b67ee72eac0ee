package aggregate

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"tally/account"
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
	// Percentage is a row's share of the query's visitors (filters
	// applied, dimensions not), in percent with one decimal.
	Percentage Metric = "percentage"
	// ConversionRate is the share of the query's visitors (its filters
	// but the goal's, no dimension) who completed the goal, in percent
	// with two decimals; GroupConversionRate the same share within the
	// row's group (its other dimensions' values). Goal queries only
	// (goals.go).
	ConversionRate      Metric = "conversion_rate"
	GroupConversionRate Metric = "group_conversion_rate"
	// ScrollDepth is the mean deepest scroll of a page view, in percent;
	// TimeOnPage its mean engaged time, in seconds (engagement.go).
	ScrollDepth Metric = "scroll_depth"
	TimeOnPage  Metric = "time_on_page"
)

// Metrics lists the metrics every query can ask for, in a stable order.
var Metrics = []Metric{Visitors, Visits, Pageviews, ViewsPerVisit, BounceRate, VisitDuration, Events, Percentage}

// GoalMetrics need goals (goals.go); EngagementMetrics are counted per page
// only (engagement.go).
var (
	GoalMetrics       = []Metric{ConversionRate, GroupConversionRate}
	EngagementMetrics = []Metric{ScrollDepth, TimeOnPage}
)

// Valid reports whether m is a known metric.
func (m Metric) Valid() bool {
	return slices.Contains(Metrics, m) || slices.Contains(GoalMetrics, m) || slices.Contains(EngagementMetrics, m)
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
	Prop   string // the property's key, for Dim PropValue
	Values []string
	res    []*regexp.Regexp
	prog   int // the compiled size of res, in instructions
}

// NewFilter validates a filter and compiles its patterns.
func NewFilter(op string, dim Dim, values []string) (Filter, error) {
	f := Filter{Op: op, Dim: dim, Values: values}
	if len(values) == 0 {
		return f, fmt.Errorf("filter on %s has no values", dim)
	}
	if len(values) > MaxFilterValues {
		// Before anything is compiled: compiling is the costly part.
		return f, fmt.Errorf("filter on %s has %d values: at most %d", dim, len(values), MaxFilterValues)
	}
	switch op {
	case OpIs, OpIsNot, OpContains, OpContainsNot:
	case OpMatches, OpMatchesNot:
		for _, v := range values {
			n, err := progSize(v)
			if err != nil {
				return f, fmt.Errorf("filter on %s: bad pattern %q: %w", dim, v, err)
			}
			if n > MaxPatternProg {
				return f, fmt.Errorf("filter on %s: pattern %q is too complex (%d instructions compiled, at most %d)", dim, v, n, MaxPatternProg)
			}
			re, err := regexp.Compile(v)
			if err != nil {
				return f, fmt.Errorf("filter on %s: bad pattern %q: %w", dim, v, err)
			}
			f.res = append(f.res, re)
			f.prog += n
		}
	default:
		return f, fmt.Errorf("unknown filter operator %q", op)
	}
	return f, nil
}

// progSize returns the size of a pattern's compiled program: what one
// match costs per byte of the value, and what compiling it costs in memory.
// Bounded repeats make it grow far faster than the pattern's length
// (`.{0,1000}` is 10 bytes and 2 000 instructions).
func progSize(pattern string) (int, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return 0, err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return 0, err
	}
	return len(prog.Inst), nil
}

// matchAny reports whether a shown value satisfies the filter's positive
// form (is, contains, matches) for any of its values.
func (f *Filter) matchAny(v string) bool {
	switch f.Op {
	case OpIs, OpIsNot:
		for _, w := range f.Values {
			if v == w {
				return true
			}
		}
	case OpContains, OpContainsNot:
		lv := strings.ToLower(v)
		for _, w := range f.Values {
			if strings.Contains(lv, strings.ToLower(w)) {
				return true
			}
		}
	case OpMatches, OpMatchesNot:
		for _, re := range f.res {
			if re.MatchString(v) {
				return true
			}
		}
	}
	return false
}

// negated reports whether the filter keeps what its positive form drops.
func (f *Filter) negated() bool {
	return f.Op == OpIsNot || f.Op == OpContainsNot || f.Op == OpMatchesNot
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
	Prop  string // the property's key, for Dim PropValue (event:props:KEY)
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
	if d, ok, err := parseNamed(name); ok {
		return d, err
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
	Site       account.Site
	From, To   time.Time // first and last day, inclusive, at midnight in the site's zone
	Metrics    []Metric
	Dimensions []Dimension
	Filters    []Filter
	OrderBy    []Order
	Limit      int // 0: no limit
	Offset     int
	// CountRows asks for Result.TotalRows when the page may not hold every
	// row: a second store query, which reads as much as the page's (a
	// filtered panel's cost doubled). Without it the engine asks the
	// store for one row past the page, which says only whether there are
	// more (Result.More).
	CountRows bool
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

// Result holds the page of rows asked for, whether rows follow it, and how
// many rows there are in all (when the query asked, or the page shows that
// there are no more).
type Result struct {
	Rows      []Row
	More      bool // rows exist past this page
	TotalRows int  // every row's count; 0 when not counted (Query.CountRows)
}

// Engine answers queries by compiling each into one store-side query (see
// plan.go): the store filters, groups, sums, orders and cuts to the page
// asked for, and only result rows come back. The dashboard, the Stats API and
// public reports all use it: one set of semantics, one implementation.
type Engine struct {
	store     Querier
	agg       *Aggregator // nil: stored cells only (admin commands, reports)
	noRollups bool
}

// Querier is what the engine needs of a store.
type Querier interface {
	// Aggregate runs p.SQL in the store's dialect and returns its rows.
	Aggregate(ctx context.Context, p *Plan) ([]Group, error)
	// CountGroups runs p.CountSQL: how many rows p has without its page.
	CountGroups(ctx context.Context, p *Plan) (int, error)
}

// NewEngine returns an engine over store. With agg, every query first
// stores what agg has counted, so it sees every hit answered before it.
func NewEngine(store Querier, agg *Aggregator) *Engine { return &Engine{store: store, agg: agg} }

// capVisitors bounds approximate visitors. Where a filter lets several
// values of a hit- or visit-level dimension through, a visitor counts once
// per value (docs/metrics.md); no group can have more visitors than it has
// without those filters, which is exact, so each row is capped at that.
func (e *Engine) capVisitors(ctx context.Context, q Query, rows []Row) error {
	mi := -1
	for i, m := range q.Metrics {
		if m == Visitors {
			mi = i
		}
	}
	if mi < 0 || len(rows) == 0 {
		return nil
	}
	b := q
	b.Metrics, b.OrderBy, b.Limit, b.Offset, b.Filters = []Metric{Visitors}, nil, 0, 0, nil
	for _, f := range q.Filters {
		if f.Dim.Level() == VisitorLevel || (f.Op == OpIs && len(f.Values) == 1) {
			b.Filters = append(b.Filters, f)
		}
	}
	// Only the rows at hand: each grouped dimension is held to their values.
	if len(rows) <= MaxFilterValues {
		for i, d := range q.Dimensions {
			if d.Grain != NoTime {
				continue
			}
			values := make([]string, 0, len(rows))
			for _, r := range rows {
				if !slices.Contains(values, r.Dimensions[i]) {
					values = append(values, r.Dimensions[i])
				}
			}
			f, err := NewFilter(OpIs, d.Dim, values)
			if err != nil {
				return err
			}
			f.Prop = d.Prop
			b.Filters = append(b.Filters, f)
		}
	}
	bp, err := Compile(&b)
	if err != nil || !bp.exact {
		return err // no exact bound to cap with
	}
	bp.rollup = bp.rollup && !e.noRollups
	groups, err := e.store.Aggregate(ctx, bp)
	if err != nil {
		return fmt.Errorf("bound visitors: %w", err)
	}
	bound := make(map[string]Number, len(groups))
	for i := range groups {
		r := bp.row(&groups[i])
		bound[strings.Join(r.Dimensions, "\x00")] = r.Metrics[0]
	}
	for _, r := range rows {
		if c, ok := bound[strings.Join(r.Dimensions, "\x00")]; ok && r.Metrics[mi] > c {
			r.Metrics[mi] = c
		}
	}
	return nil
}

// ExactVisitors reports whether q's visitors are exact, or the documented
// approximation (docs/metrics.md).
func ExactVisitors(q Query) bool {
	p, err := Compile(&q)
	return err == nil && p.exact
}

// WithoutRollups returns an engine that always reads cells, for tests and
// benchmarks that compare the two paths.
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

// Run answers q.
func (e *Engine) Run(ctx context.Context, q Query) (Result, error) {
	if usesGoals(&q) {
		return e.runGoals(ctx, q)
	}
	if mixesEngagement(&q) {
		return e.runEngagement(ctx, q)
	}
	p, err := Compile(&q)
	if err != nil {
		return Result{}, err
	}
	p.rollup = p.rollup && !e.noRollups
	if e.agg != nil {
		if err := e.agg.Flush(ctx); err != nil {
			return Result{}, fmt.Errorf("query %s: store what is counted: %w", q.Site.Domain, err)
		}
	}
	p.peek = q.Limit > 0
	groups, err := e.store.Aggregate(ctx, p)
	if err != nil {
		return Result{}, fmt.Errorf("query %s: %w", q.Site.Domain, err)
	}
	more := q.Limit > 0 && len(groups) > q.Limit
	if more {
		groups = groups[:q.Limit]
	}
	res := Result{Rows: make([]Row, 0, len(groups)), More: more}
	if !more && (len(groups) > 0 || q.Offset == 0) {
		res.TotalRows = q.Offset + len(groups) // this page is the last
	}
	for i := range groups {
		res.Rows = append(res.Rows, p.row(&groups[i]))
	}
	if len(q.Dimensions) == 0 && len(res.Rows) == 0 {
		// With no dimension, a range without hits still answers one row of zeros.
		res.Rows = append(res.Rows, p.row(&Group{}))
		res.TotalRows = 1
	}
	if !p.exact {
		if err := e.capVisitors(ctx, q, res.Rows); err != nil {
			return Result{}, fmt.Errorf("query %s: %w", q.Site.Domain, err)
		}
	}
	if err := e.percentages(ctx, q, res.Rows); err != nil {
		return Result{}, fmt.Errorf("query %s: %w", q.Site.Domain, err)
	}
	nameRows(&q, res.Rows)
	if q.CountRows && (more || (q.Offset > 0 && len(groups) == 0)) {
		// The page is not all, or is past the end: the store counts.
		if res.TotalRows, err = e.store.CountGroups(ctx, p); err != nil {
			return Result{}, fmt.Errorf("query %s: count rows: %w", q.Site.Domain, err)
		}
	}
	return res, nil
}

// percentages turns each row's visitors, which row put in place of the
// percentage metric, into its share of the visitors of the whole query:
// the same filters, no dimension, no page. Where visitors is also asked
// for, its value (capped by capVisitors) is the one divided, so the two
// columns always agree.
func (e *Engine) percentages(ctx context.Context, q Query, rows []Row) error {
	pi, mi := slices.Index(q.Metrics, Percentage), slices.Index(q.Metrics, Visitors)
	if pi < 0 || len(rows) == 0 {
		return nil
	}
	t := q
	t.Metrics, t.Dimensions, t.OrderBy, t.Limit, t.Offset = []Metric{Visitors}, nil, nil, 0, 0
	total, err := e.Run(ctx, t)
	if err != nil {
		return fmt.Errorf("total visitors for percentages: %w", err)
	}
	all := 0.0
	if len(total.Rows) > 0 {
		all = float64(total.Rows[0].Metrics[0])
	}
	for _, r := range rows {
		n := float64(r.Metrics[pi])
		if mi >= 0 {
			n = float64(r.Metrics[mi])
		}
		r.Metrics[pi] = 0
		if all > 0 {
			r.Metrics[pi] = Number(math.Round(1000*n/all) / 10)
		}
	}
	return nil
}
