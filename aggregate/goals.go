package aggregate

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"tally/account"
)

// Goals are questions asked of the stored counters, not tags added at
// ingest: a custom-event goal is the cells of its event name, a pageview
// goal the pageview cells of the pages its pattern matches. A query that
// names event:goal is answered by one query per goal (through Run, so
// each is compiled to one store-side statement), whose rows are then
// labelled with the goal's name, combined, ordered and cut to the page.
// Adding a goal therefore shows its whole history.

// GoalDimName is the Stats API name of the goal dimension.
const GoalDimName = "event:goal"

// GoalLister is what the engine needs to resolve goals: the store's
// account part has it.
type GoalLister interface {
	Goals(ctx context.Context, site int64) ([]account.Goal, error)
}

// PagePattern compiles a goal's page pattern into a regular expression: *
// matches within one path segment, ** across segments, and the rest is
// literal.
func PagePattern(pattern string) string {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); {
		switch {
		case strings.HasPrefix(pattern[i:], "**"):
			b.WriteString(".*")
			i += 2
		case pattern[i] == '*':
			b.WriteString("[^/]*")
			i++
		default:
			j := i
			for j < len(pattern) && pattern[j] != '*' {
				j++
			}
			b.WriteString(regexp.QuoteMeta(pattern[i:j]))
			i = j
		}
	}
	b.WriteString("$")
	return b.String()
}

// goalFilter selects a goal's conversions: the cells of its event name,
// or of the pages its pattern matches. A pageview goal's events are those
// cells' pageviews (goalMetrics); its visitors are counted by the page's
// own visitor counter, so that each page's are exact (a filter on the
// event name as well would leave the visitors to the event name's
// counter, which counts a visitor at its first pageview of the day only).
func goalFilter(g account.Goal) (Filter, error) {
	if g.Event != "" {
		return NewFilter(OpIs, Event, []string{g.Event})
	}
	return NewFilter(OpMatches, Page, []string{PagePattern(g.Page)})
}

// goalMetrics are the metrics of one goal's query: for a pageview goal,
// events are its pageviews.
func goalMetrics(g account.Goal, sub []Metric) []Metric {
	if g.Event != "" {
		return sub
	}
	out := slices.Clone(sub)
	for i, m := range out {
		if m == Events {
			out[i] = Pageviews
		}
	}
	return out
}

func usesGoals(q *Query) bool {
	for _, d := range q.Dimensions {
		if d.Dim == GoalDim {
			return true
		}
	}
	for _, f := range q.Filters {
		if f.Dim == GoalDim {
			return true
		}
	}
	return slices.Contains(q.Metrics, ConversionRate) || slices.Contains(q.Metrics, GroupConversionRate)
}

// runGoals answers a query that names goals.
func (e *Engine) runGoals(ctx context.Context, q Query) (Result, error) {
	lister, ok := e.store.(GoalLister)
	if !ok {
		return Result{}, fmt.Errorf("%w: this store keeps no goals", ErrInvalid)
	}
	all, err := lister.Goals(ctx, q.Site.ID)
	if err != nil {
		return Result{}, fmt.Errorf("query %s: goals: %w", q.Site.Domain, err)
	}
	gi := slices.IndexFunc(q.Dimensions, func(d Dimension) bool { return d.Dim == GoalDim })
	base := q
	base.Dimensions, base.Filters, base.Metrics = nil, nil, nil
	var goalFilters []Filter
	for _, d := range q.Dimensions {
		if d.Dim != GoalDim {
			base.Dimensions = append(base.Dimensions, d)
		}
	}
	for _, f := range q.Filters {
		if f.Dim == GoalDim {
			goalFilters = append(goalFilters, f)
		} else {
			base.Filters = append(base.Filters, f)
		}
	}
	var goals []account.Goal
	for _, g := range all {
		keep := true
		for _, f := range goalFilters {
			keep = keep && f.matchAny(g.Name()) != f.negated()
		}
		if keep {
			goals = append(goals, g)
		}
	}
	if gi < 0 && len(goalFilters) == 0 {
		return Result{}, fmt.Errorf("%w: conversion_rate and group_conversion_rate need an %s filter or dimension", ErrInvalid, GoalDimName)
	}
	if gi < 0 && len(goals) > 1 {
		// Visitors who completed any of several goals cannot be told from
		// per-goal counters (one visitor may have completed two).
		return Result{}, fmt.Errorf("%w: a filter that keeps several goals (%d) needs the %s dimension", ErrInvalid, len(goals), GoalDimName)
	}
	if prop := propNamed(&q); prop != "" {
		// Properties are counted per event name (props.go): a custom-event
		// goal is its event's property cells; a pageview goal is pages,
		// whose properties are not counted apart.
		for _, g := range goals {
			if g.Event == "" {
				return Result{}, fmt.Errorf("%w: goal %q is a pageview goal and custom properties are counted per event name, not per page: %s combines with custom-event goals only (filter %s to those)",
					ErrInvalid, g.Name(), prop, GoalDimName)
			}
		}
	}
	if slices.Contains(q.Metrics, GroupConversionRate) && len(base.Dimensions) == 0 {
		return Result{}, fmt.Errorf("%w: group_conversion_rate needs a dimension besides %s", ErrInvalid, GoalDimName)
	}
	// Each goal's query: the metrics that are sums, and visitors for the rates.
	var sub []Metric
	for _, m := range q.Metrics {
		switch m {
		case ConversionRate, GroupConversionRate:
		case Percentage:
			return Result{}, fmt.Errorf("%w: percentage is not available with goals; use conversion_rate", ErrInvalid)
		default:
			sub = append(sub, m)
		}
	}
	// The rates divide the row's visitors: the column shown if asked for
	// (capped alike when approximate), else one added for them.
	vi := slices.Index(sub, Visitors)
	if vi < 0 {
		vi = len(sub)
		sub = append(sub, Visitors)
	}
	var rows []Row
	for _, g := range goals {
		gq := base
		gq.Metrics, gq.OrderBy, gq.Limit, gq.Offset = goalMetrics(g, sub), nil, 0, 0
		f, err := goalFilter(g)
		if err != nil {
			return Result{}, fmt.Errorf("%w: goal %q: %w", ErrInvalid, g.Name(), err)
		}
		gq.Filters = append(slices.Clone(base.Filters), f)
		res, err := e.Run(ctx, gq)
		if err != nil {
			return Result{}, err
		}
		for _, r := range res.Rows {
			if r.Metrics[vi] == 0 && len(base.Dimensions) == 0 && gi >= 0 {
				continue // no conversions: no row, as Plausible lists goals
			}
			if gi >= 0 {
				r.Dimensions = slices.Insert(r.Dimensions, gi, g.Name())
			}
			rows = append(rows, r)
		}
	}
	if err := e.goalRates(ctx, q, base, gi, vi, rows); err != nil {
		return Result{}, err
	}
	orderRows(q, rows)
	res := Result{TotalRows: len(rows), Rows: rows}
	if q.Offset > 0 || q.Limit > 0 {
		from := min(q.Offset, len(rows))
		to := len(rows)
		if q.Limit > 0 {
			to = min(from+q.Limit, len(rows))
		}
		res.Rows = rows[from:to]
		res.More = to < len(rows)
	}
	if len(q.Dimensions) == 0 && len(res.Rows) == 0 {
		res.Rows = []Row{{Metrics: make([]Number, len(q.Metrics))}}
		res.TotalRows = 1
	}
	return res, nil
}

// propNamed returns the API name of the custom property q names, in a
// dimension or a filter; "" if none.
func propNamed(q *Query) string {
	for _, d := range q.Dimensions {
		if d.Dim == PropValue || d.Dim == PropKey {
			return d.Name
		}
	}
	for _, f := range q.Filters {
		if f.Dim == PropValue {
			return PropPrefix + f.Prop
		}
	}
	return ""
}

// goalRates puts each row's metrics in q's order, computing the
// conversion rates from its visitors (metric vi of the goal query's).
// Their denominators are the visitors of q without its goal and property
// filters, as Plausible's are: of everyone the other filters keep, the
// share who completed the goal (with those properties).
func (e *Engine) goalRates(ctx context.Context, q, base Query, gi, vi int, rows []Row) error {
	var total float64
	groups := map[string]float64{}
	base.Filters = slices.DeleteFunc(slices.Clone(base.Filters), func(f Filter) bool { return f.Dim == PropValue })
	if slices.Contains(q.Metrics, ConversionRate) {
		t := base
		t.Dimensions, t.Metrics, t.OrderBy, t.Limit, t.Offset = nil, []Metric{Visitors}, nil, 0, 0
		res, err := e.Run(ctx, t)
		if err != nil {
			return fmt.Errorf("visitors for the conversion rate: %w", err)
		}
		if len(res.Rows) > 0 {
			total = float64(res.Rows[0].Metrics[0])
		}
	}
	if slices.Contains(q.Metrics, GroupConversionRate) {
		t := base
		t.Metrics, t.OrderBy, t.Limit, t.Offset = []Metric{Visitors}, nil, 0, 0
		res, err := e.Run(ctx, t)
		if err != nil {
			return fmt.Errorf("visitors for the group conversion rate: %w", err)
		}
		for _, r := range res.Rows {
			groups[strings.Join(r.Dimensions, "\x00")] = float64(r.Metrics[0])
		}
	}
	rate := func(n, of float64) Number {
		if of <= 0 {
			return 0
		}
		return Number(math.Round(10000*n/of) / 100)
	}
	for i := range rows {
		r := &rows[i]
		visitors := float64(r.Metrics[vi])
		sums := r.Metrics
		out := make([]Number, 0, len(q.Metrics))
		j := 0
		for _, m := range q.Metrics {
			switch m {
			case ConversionRate:
				out = append(out, rate(visitors, total))
			case GroupConversionRate:
				other := slices.Clone(r.Dimensions)
				if gi >= 0 {
					other = slices.Delete(other, gi, gi+1)
				}
				out = append(out, rate(visitors, groups[strings.Join(other, "\x00")]))
			default:
				out = append(out, sums[j])
				j++
			}
		}
		r.Metrics = out
	}
	return nil
}

// orderRows sorts combined goal rows as a store would: q.OrderBy, then
// time dimensions ascending, the first metric descending, and every
// dimension ascending.
func orderRows(q Query, rows []Row) {
	type key struct {
		dim, metric int
		desc        bool
	}
	var keys []key
	add := func(name string, desc bool) {
		for i, d := range q.Dimensions {
			if d.Name == name {
				keys = append(keys, key{i, -1, desc})
				return
			}
		}
		for i, m := range q.Metrics {
			if string(m) == name {
				keys = append(keys, key{-1, i, desc})
				return
			}
		}
	}
	for _, o := range q.OrderBy {
		add(o.By, o.Desc)
	}
	for _, d := range q.Dimensions {
		if d.Grain != NoTime {
			add(d.Name, false)
		}
	}
	if len(q.Metrics) > 0 {
		add(string(q.Metrics[0]), true)
	}
	for _, d := range q.Dimensions {
		add(d.Name, false)
	}
	sort.SliceStable(rows, func(a, b int) bool {
		for _, k := range keys {
			var c int
			if k.dim >= 0 {
				c = cmpValue(rows[a].Dimensions[k.dim], rows[b].Dimensions[k.dim])
			} else {
				c = cmpNumber(rows[a].Metrics[k.metric], rows[b].Metrics[k.metric])
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
}

// cmpValue orders dimension values as the stores do: numbers (hours of the
// day, weekdays) as numbers, the rest as strings.
func cmpValue(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return cmpNumber(Number(x), Number(y))
	}
	return strings.Compare(a, b)
}

func cmpNumber(a, b Number) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
