package aggregate

import (
	"fmt"
	"strconv"
	"strings"
)

// The rendering of a Plan into SQL: one statement for both stores, with the
// few fragments that differ taken from the store's Dialect.

// SQL renders the plan's query and its arguments, in d's dialect.
func (p *Plan) SQL(d Dialect) (string, []any) {
	r := p.renderer(d)
	b := &r.b
	b.WriteString("SELECT ")
	groups := r.groupExprs()
	for i, g := range groups {
		fmt.Fprintf(b, "%s AS d%d, ", g, i)
	}
	for i, c := range r.sums() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Sum(c))
	}
	r.where()
	if len(groups) > 0 {
		b.WriteString(" GROUP BY ")
		for i := range groups {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "d%d", i)
		}
		r.having()
		b.WriteString(" ORDER BY ")
		b.WriteString(strings.Join(r.order(), ", "))
	}
	if p.q.Limit > 0 || p.q.Offset > 0 {
		limit := p.q.Limit
		if p.peek && limit > 0 {
			limit++
		}
		b.WriteString(d.Limit(limit, p.q.Offset))
	}
	return b.String(), b.args
}

// CountSQL renders a query for the number of groups of the plan.
func (p *Plan) CountSQL(d Dialect) (string, []any) {
	r := p.renderer(d)
	b := &r.b
	b.WriteString("SELECT count(*) FROM (SELECT ")
	groups := r.groupExprs()
	if len(groups) == 0 {
		groups = []string{"1"}
	}
	for i, g := range groups {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%s AS d%d", g, i)
	}
	r.where()
	b.WriteString(" GROUP BY ")
	for i := range groups {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "d%d", i)
	}
	if len(p.q.Dimensions) > 0 {
		r.having()
	}
	b.WriteString(")")
	return b.String(), b.args
}

// having drops groups whose every shown number is 0: cells that carry only
// another dimension's visitors (converted legacy days) make such groups.
func (r *renderer) having() {
	r.b.WriteString(" HAVING ")
	for i, c := range r.sums() {
		if i > 0 {
			r.b.WriteString(" OR ")
		}
		fmt.Fprintf(&r.b, "sum(%s) != 0", c)
	}
}

// The sums a query can need, by Sums field.
const (
	sumPageviews = 1 << iota
	sumEvents
	sumVisits
	sumBounces
	sumDuration
	sumVisitors
)

// needs says which sums the query's metrics are made of: a store reads a
// column for each, so a query reads only the columns it shows.
func (p *Plan) needs() int {
	n := 0
	for _, m := range p.q.Metrics {
		switch m {
		case Visitors, Percentage:
			n |= sumVisitors
		case Visits:
			n |= sumVisits
		case Pageviews:
			n |= sumPageviews
		case Events:
			n |= sumEvents
		case ViewsPerVisit:
			n |= sumPageviews | sumVisits
		case BounceRate:
			n |= sumBounces | sumVisits
		case VisitDuration:
			n |= sumDuration | sumVisits
		case ScrollDepth:
			n |= sumBounces | sumVisits
		case TimeOnPage:
			n |= sumDuration | sumVisits
		}
	}
	if n == 0 {
		n = sumEvents
	}
	return n
}

// sums are the columns the query sums, in Sums order.
func (r *renderer) sums() []string {
	n := r.p.needs()
	var out []string
	for _, s := range []struct {
		bit int
		col string
	}{{sumPageviews, "pageviews"}, {sumEvents, "events"}, {sumVisits, r.visits()}, {sumBounces, r.bounces()},
		{sumDuration, r.duration()}, {sumVisitors, r.uniqueCol()}} {
		if n&s.bit != 0 {
			out = append(out, s.col)
		}
	}
	return out
}

// renderer writes one statement of a plan: over the cells, or over the
// day rollups where the plan allows and the store keeps them.
type renderer struct {
	p    *Plan
	d    Dialect
	roll bool
	b    sqlBuilder
}

func (p *Plan) renderer(d Dialect) *renderer {
	return &renderer{p: p, d: d, roll: p.rollup && d.Rollups(p.firstDay)}
}

// sqlBuilder collects a statement and its positional arguments.
type sqlBuilder struct {
	strings.Builder
	args []any
}

func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "?"
}

// column is where a dimension's values are: its own column in cells, the
// value column in rollups.
func (r *renderer) column(dim Dim) string {
	if r.roll {
		return "value"
	}
	return dim.Column()
}

func (r *renderer) visits() string {
	if r.p.eng {
		return "views" // engaged page views
	}
	if r.p.exits {
		return "exits"
	}
	return "visits"
}

func (r *renderer) bounces() string {
	if r.p.eng {
		return "scroll_sum"
	}
	return "bounces"
}

func (r *renderer) duration() string {
	if r.p.eng {
		return "time_ms"
	}
	return "duration"
}

// uniqueCol is the column that counts visitors for the query.
func (r *renderer) uniqueCol() string {
	if r.roll {
		return "visitors"
	}
	return r.p.unique.Column()
}

// groupExprs returns one expression per dimension of the query.
func (r *renderer) groupExprs() []string {
	out := make([]string, 0, len(r.p.q.Dimensions))
	for _, dim := range r.p.q.Dimensions {
		if dim.Grain == NoTime {
			out = append(out, r.displayExpr(dim.Dim))
			continue
		}
		// One integer type whatever the arithmetic made of it.
		out = append(out, r.d.ToInt(r.bucketExpr(dim.Grain)))
	}
	return out
}

// displayExpr is a dimension's column as shown: "(not set)" for none.
func (r *renderer) displayExpr(dim Dim) string {
	col := r.column(dim)
	return r.d.If(col+" = ''", quote(display(dim, "")), col)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// quote makes a SQL string literal of a constant of ours (never user input).
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// local is the hour column as Unix seconds of the site's wall clock.
func (r *renderer) local() string {
	p, d := r.p, r.d
	h := d.Seconds("hour")
	if len(p.offsets) == 1 {
		return fmt.Sprintf("(%s + %d)", h, p.offsets[0].secs)
	}
	// Offsets change only at transitions: nest from the last one back.
	expr := strconv.FormatInt(p.offsets[len(p.offsets)-1].secs, 10)
	for i := len(p.offsets) - 2; i >= 0; i-- {
		expr = d.If(fmt.Sprintf("%s < %d", h, p.offsets[i+1].at), strconv.FormatInt(p.offsets[i].secs, 10), expr)
	}
	return fmt.Sprintf("(%s + %s)", h, expr)
}

// bucketExpr is a time grain's bucket, an integer: local seconds of the
// hour, the day number (days since 1970-01-01), the Monday of the week as a
// day number, YYYYMM, the hour of day, or the ISO weekday (Monday 1).
// Rollups hold the local day already.
func (r *renderer) bucketExpr(g Grain) string {
	var l, day string
	if r.roll {
		day = "day"
		l = "(day * 86400)"
	} else {
		l = r.local()
		day = r.d.IntDiv(l, "86400")
	}
	switch g {
	case ByHour:
		return l
	case ByDay:
		return day
	case ByWeek:
		return fmt.Sprintf("(%s - (%s + 3) %% 7)", day, day)
	case ByMonth:
		return r.d.Month(l)
	case ByHourOfDay:
		return fmt.Sprintf("(%s %% 24)", r.d.IntDiv(l, "3600"))
	case ByDayOfWeek:
		return fmt.Sprintf("((%s + 3) %% 7 + 1)", day)
	}
	panic(fmt.Sprintf("unknown grain %d", g))
}

// where writes the FROM and WHERE clauses.
func (r *renderer) where() {
	p, d, b := r.p, r.d, &r.b
	if p.eng {
		fmt.Fprintf(b, " FROM engagement WHERE site_id = %s AND hour >= %s AND hour < %s",
			b.arg(p.q.Site.ID), d.Instant(b.arg(p.from)), d.Instant(b.arg(p.to)))
	} else if p.props {
		fmt.Fprintf(b, " FROM props WHERE site_id = %s", b.arg(p.q.Site.ID))
		if p.prop != "" {
			fmt.Fprintf(b, " AND prop_key = %s", b.arg(p.prop))
		}
		fmt.Fprintf(b, " AND hour >= %s AND hour < %s", d.Instant(b.arg(p.from)), d.Instant(b.arg(p.to)))
	} else if r.roll {
		fmt.Fprintf(b, " FROM rollups WHERE site_id = %s AND dim = %s AND day >= %s AND day <= %s",
			b.arg(p.q.Site.ID), b.arg(p.rollDim), b.arg(p.firstDay), b.arg(p.lastDay))
	} else {
		fmt.Fprintf(b, " FROM cells WHERE site_id = %s AND hour >= %s AND hour < %s",
			b.arg(p.q.Site.ID), d.Instant(b.arg(p.from)), d.Instant(b.arg(p.to)))
		// Exit pages exist only in exit cells; a query that names the exit
		// page reads those, and counts their exits as its visits.
		if p.exits {
			b.WriteString(" AND exit_page != ''")
		} else {
			b.WriteString(" AND exit_page = ''")
		}
	}
	for i := range p.q.Filters {
		b.WriteString(" AND ")
		b.WriteString(r.filterExpr(&p.q.Filters[i]))
	}
}

// filterExpr compiles a filter. Filters match values as shown, so the
// empty value matches as "(not set)" (or "Direct / None"): whether it does
// is decided here, once, and the store tests only stored values.
func (r *renderer) filterExpr(f *Filter) string {
	col, b := r.column(f.Dim), &r.b
	var any []string
	switch f.Op {
	case OpIs, OpIsNot:
		for _, v := range f.Values {
			any = append(any, col+" = "+b.arg(v))
		}
	case OpContains, OpContainsNot:
		for _, v := range f.Values {
			any = append(any, r.d.Contains(col, b.arg(v), isASCII(v)))
		}
	case OpMatches, OpMatchesNot:
		for _, v := range f.Values {
			any = append(any, r.d.Matches(col, b.arg(v)))
		}
	}
	expr := fmt.Sprintf("(%s != '' AND (%s))", col, strings.Join(any, " OR "))
	if f.matchAny(display(f.Dim, "")) {
		expr = fmt.Sprintf("(%s OR %s = '')", expr, col)
	}
	if f.negated() {
		return "NOT " + expr
	}
	return expr
}

// metricExpr is a metric computed from the sums in SQL, as row computes it
// in Go: ratios rounded half up, so ordering agrees with what is shown.
func (r *renderer) metricExpr(m Metric) string {
	d := r.d
	visits := "sum(" + r.visits() + ")"
	ratio := func(num string, scale int) string {
		return d.If(visits+" > 0", d.ToInt(fmt.Sprintf("%d.0 * %s / %s + 0.5", scale, num, visits)), "0")
	}
	switch m {
	case Visitors, Percentage: // a share of one total orders as its visitors
		return "sum(" + r.uniqueCol() + ")"
	case Visits:
		return visits
	case Pageviews:
		return "sum(pageviews)"
	case Events:
		return "sum(events)"
	case ViewsPerVisit:
		return ratio("sum(pageviews)", 100)
	case BounceRate:
		return ratio("sum(bounces)", 100)
	case VisitDuration:
		return ratio("sum(duration)", 1)
	case ScrollDepth:
		return ratio("sum(scroll_sum)", 1)
	case TimeOnPage:
		return d.If(visits+" > 0", d.ToInt("sum(time_ms) / 1000.0 / "+visits+" + 0.5"), "0")
	}
	return ""
}

// orderExpr is the expression a query orders by, given its name, or "".
func (p *Plan) orderExpr(name string) string {
	for i, dim := range p.q.Dimensions {
		if dim.Name == name {
			return fmt.Sprintf("d%d", i)
		}
	}
	for _, m := range p.q.Metrics {
		if string(m) == name {
			return "metric:" + name
		}
	}
	return ""
}

// order is the ORDER BY list: q.OrderBy, then the default — time
// dimensions ascending, the first metric descending — and every dimension
// ascending to break ties, so pages are stable.
func (r *renderer) order() []string {
	p := r.p
	var out []string
	add := func(expr string, desc bool) {
		if m, ok := strings.CutPrefix(expr, "metric:"); ok {
			expr = r.metricExpr(Metric(m))
		}
		if desc {
			expr += " DESC"
		}
		out = append(out, expr)
	}
	for _, o := range p.q.OrderBy {
		add(p.orderExpr(o.By), o.Desc)
	}
	for i, dim := range p.q.Dimensions {
		if dim.Grain != NoTime {
			add(fmt.Sprintf("d%d", i), false)
		}
	}
	if len(p.q.Metrics) > 0 {
		add("metric:"+string(p.q.Metrics[0]), true)
	}
	for i := range p.q.Dimensions {
		add(fmt.Sprintf("d%d", i), false)
	}
	return out
}
