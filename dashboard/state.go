package dashboard

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"tally/aggregate"
)

// State is everything a dashboard view depends on, read from and written to
// the URL query, so that a view can be bookmarked and the back button works.
// Links never carry anything else.
//
//	period=7d                        day yesterday 7d 30d month last_month 6mo 12mo year all custom
//	cmp=year_over_year               comparison: previous_period (default), year_over_year, off
//	from=2025-01-01&to=2025-01-31    custom period bounds
//	f=source,Google                  a filter: short dimension name, comma, value (repeatable, combined with and);
//	f=source!,Google f=page~,blog      "!" after the name is "is not", "~" is "contains" (case-insensitive)
//	f=props:plan,pro                 a custom property (one at a time: properties are counted one key per query)
//	m=pageviews                      chart metric: visitors (default) or pageviews
//	i=week                           chart interval: hour day week month; empty picks one for the period
//	src=referrer pg=entry_page …     the open tab of each panel
//	fn=12                            the funnel shown in the Funnels panel (its id)
type State struct {
	Period   string
	From, To string
	Compare  string // aggregate.ComparePrevious, CompareYear or CompareOff
	Filters  []StateFilter
	Metric   string
	Interval string
	Tabs     map[string]string // panel id → tab id
	Funnel   string            // a funnel's id; "" shows the site's first
	// Ignored says, for people, which parameters of the URL were not
	// understood and what is shown instead; never encoded back.
	Ignored []string
}

// StateFilter is one filter of the view.
type StateFilter struct {
	Dim   aggregate.Dim
	Op    string // aggregate.OpIs, OpIsNot or OpContains
	Value string
	Prop  string // the property's key, for Dim aggregate.PropValue
}

// propShort starts the filter key of a custom property: f=props:KEY,VALUE.
const propShort = "props:"

// escapeKey keeps a property key from being read as the key's end: the
// comma before the value, an operator suffix, and the escape itself.
var escapeKey = strings.NewReplacer("%", "%25", ",", "%2C", "!", "%21", "~", "%7E")

// filterOps are the picker's operators: their URL suffix after the
// dimension's name, and their label.
var filterOps = []struct{ op, suffix, label string }{
	{aggregate.OpIs, "", "is"}, {aggregate.OpIsNot, "!", "is not"}, {aggregate.OpContains, "~", "contains"},
}

// opLabel is how a chip and the picker name an operator.
func opLabel(op string) string {
	for _, o := range filterOps {
		if o.op == op {
			return o.label
		}
	}
	return op
}

// parseFilterKey splits "browser!" into the dimension and the operator
// (and "props:plan!" into the property's dimension, key and operator).
func parseFilterKey(key string) (StateFilter, bool) {
	f := StateFilter{Op: aggregate.OpIs}
	for _, o := range filterOps[1:] {
		if name, ok := strings.CutSuffix(key, o.suffix); ok {
			key, f.Op = name, o.op
			break
		}
	}
	if prop, ok := strings.CutPrefix(key, propShort); ok {
		prop, err := url.PathUnescape(prop)
		f.Dim, f.Prop = aggregate.PropValue, prop
		return f, err == nil && prop != ""
	}
	d, known := shortNames[key]
	f.Dim = d
	return f, known
}

func filterKey(f StateFilter) string {
	name := shortName(f.Dim)
	if f.Dim == aggregate.PropValue {
		name = propShort + escapeKey.Replace(f.Prop)
	}
	for _, o := range filterOps {
		if o.op == f.Op {
			return name + o.suffix
		}
	}
	return name
}

// Periods lists the period picker's choices in order, with their labels.
var Periods = []struct{ ID, Label string }{
	{"day", "Today"}, {"yesterday", "Yesterday"}, {"7d", "Last 7 days"}, {"30d", "Last 30 days"},
	{"month", "This month"}, {"last_month", "Last month"}, {"year", "Year to date"}, {"6mo", "Last 6 months"},
	{"12mo", "Last 12 months"}, {"all", "All time"}, {"custom", "Custom"},
}

// Comparisons lists the comparison picker's choices, with their labels.
var Comparisons = []struct{ ID, Label string }{
	{aggregate.ComparePrevious, "Previous period"}, {aggregate.CompareYear, "Same period last year"}, {aggregate.CompareOff, "No comparison"},
}

var intervals = []string{"hour", "day", "week", "month"}

// shortNames are the filter keys used in URLs: the Stats API name without
// its "visit:" or "event:" prefix ("name" for event:name).
var shortNames = func() map[string]aggregate.Dim {
	m := map[string]aggregate.Dim{}
	for d := aggregate.Dim(0); int(d) < aggregate.NumDims; d++ {
		m[shortName(d)] = d
	}
	m[shortName(aggregate.GoalDim)] = aggregate.GoalDim // f=goal,Signup
	return m
}()

func shortName(d aggregate.Dim) string {
	s := d.String()
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// ParseState reads a view's state from a URL query. It is lenient: unknown
// or malformed values fall back to the defaults, so an old bookmark still
// opens; the custom dates are validated when the view is built.
func ParseState(q url.Values) State {
	s := State{Period: "30d", Compare: aggregate.ComparePrevious, Metric: "visitors", Tabs: map[string]string{}}
	if p := q.Get("period"); p != "" {
		known := false
		for _, k := range Periods {
			known = known || p == k.ID
		}
		if known {
			s.Period = p
		} else {
			s.Ignored = append(s.Ignored, fmt.Sprintf("Unknown period %q: showing the last 30 days.", p))
		}
	}
	if c := q.Get("cmp"); c != "" {
		known := false
		for _, k := range Comparisons {
			known = known || c == k.ID
		}
		if known {
			s.Compare = c
		} else {
			s.Ignored = append(s.Ignored, fmt.Sprintf("Unknown comparison %q: comparing with the previous period.", c))
		}
	}
	if s.Period == "custom" {
		s.From, s.To = q.Get("from"), q.Get("to")
	}
	if q.Get("m") == "pageviews" {
		s.Metric = "pageviews"
	}
	for _, i := range intervals {
		if q.Get("i") == i {
			s.Interval = i
		}
	}
	for _, f := range q["f"] {
		key, value, ok := strings.Cut(f, ",")
		sf, known := parseFilterKey(key)
		if !ok || !known || value == "" {
			continue
		}
		sf.Value = value
		s = s.withFilter(sf)
	}
	// The filter picker is a plain GET form: fd is the dimension, fo the
	// operator ("", "!" or "~", as in f=), fv the value.
	if sf, ok := parseFilterKey(q.Get("fd") + q.Get("fo")); ok && q.Get("fv") != "" {
		sf.Value = q.Get("fv")
		s = s.withFilter(sf)
	}
	if fn := q.Get("fn"); fn != "" && strings.Trim(fn, "0123456789") == "" && len(fn) <= 19 {
		s.Funnel = fn
	}
	for _, p := range panels {
		for _, t := range p.tabs {
			if q.Get(p.id) == t.id {
				s.Tabs[p.id] = t.id
			}
		}
	}
	return s
}

// Values encodes the state as a URL query, leaving out defaults.
func (s State) Values() url.Values {
	q := url.Values{}
	if s.Period != "" && s.Period != "30d" {
		q.Set("period", s.Period)
	}
	if s.Period == "custom" {
		q.Set("from", s.From)
		q.Set("to", s.To)
	}
	if s.Compare != "" && s.Compare != aggregate.ComparePrevious {
		q.Set("cmp", s.Compare)
	}
	for _, f := range s.Filters {
		q.Add("f", filterKey(f)+","+f.Value)
	}
	if s.Metric == "pageviews" {
		q.Set("m", s.Metric)
	}
	if s.Interval != "" {
		q.Set("i", s.Interval)
	}
	if s.Funnel != "" {
		q.Set("fn", s.Funnel)
	}
	ids := make([]string, 0, len(s.Tabs))
	for id := range s.Tabs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		q.Set(id, s.Tabs[id])
	}
	return q
}

// Link is base followed by the encoded state.
func (s State) Link(base string) string {
	if base == "" {
		base = "/"
	}
	if q := s.Values().Encode(); q != "" {
		return base + "?" + q
	}
	return base
}

// clone copies s so that a derived state never shares slices or maps.
func (s State) clone() State {
	s.Filters = append([]StateFilter(nil), s.Filters...)
	tabs := make(map[string]string, len(s.Tabs))
	for k, v := range s.Tabs {
		tabs[k] = v
	}
	s.Tabs = tabs
	return s
}

// WithFilter returns s with d = value; a filter already on d is replaced,
// since "is" on two values of one dimension would match nothing.
func (s State) WithFilter(d aggregate.Dim, value string) State {
	return s.WithFilterOp(d, aggregate.OpIs, value)
}

// WithFilterOp returns s with the filter "d op value", replacing any
// filter on d (one filter per dimension keeps the chips readable).
func (s State) WithFilterOp(d aggregate.Dim, op, value string) State {
	return s.withFilter(StateFilter{Dim: d, Op: op, Value: value})
}

// WithPropFilter returns s with the custom property key = value, replacing
// any filter on a property: a query may name one property key.
func (s State) WithPropFilter(key, value string) State {
	return s.withFilter(StateFilter{Dim: aggregate.PropValue, Op: aggregate.OpIs, Value: value, Prop: key})
}

func (s State) withFilter(f StateFilter) State {
	s = s.WithoutFilter(f.Dim)
	s.Filters = append(s.Filters, f)
	return s
}

// PropFilter returns the view's filter on a custom property, if any.
func (s State) PropFilter() (StateFilter, bool) {
	for _, f := range s.Filters {
		if f.Dim == aggregate.PropValue {
			return f, true
		}
	}
	return StateFilter{}, false
}

// WithoutFilter returns s without its filter on d.
func (s State) WithoutFilter(d aggregate.Dim) State {
	s = s.clone()
	out := s.Filters[:0]
	for _, f := range s.Filters {
		if f.Dim != d {
			out = append(out, f)
		}
	}
	s.Filters = out
	return s
}

// Filter returns the value of the "is" filter on d, if any.
func (s State) Filter(d aggregate.Dim) (string, bool) {
	for _, f := range s.Filters {
		if f.Dim == d && f.Op == aggregate.OpIs {
			return f.Value, true
		}
	}
	return "", false
}

// WithTab returns s with panel's open tab set to tab.
func (s State) WithTab(panel, tab string) State {
	s = s.clone()
	s.Tabs[panel] = tab
	return s
}

// WithPeriod returns s on another named period; the interval goes back to
// automatic, since the old one may not suit the new range.
func (s State) WithPeriod(p string) State {
	s = s.clone()
	s.Period, s.From, s.To, s.Interval = p, "", "", ""
	return s
}

// WithCompare returns s with another comparison.
func (s State) WithCompare(c string) State { s = s.clone(); s.Compare = c; return s }

func (s State) withMetric(m string) State { s = s.clone(); s.Metric = m; return s }

func (s State) withInterval(i string) State { s = s.clone(); s.Interval = i; return s }

func (s State) withFunnel(id int64) State {
	s = s.clone()
	s.Funnel = strconv.FormatInt(id, 10)
	return s
}

// queryFilters turns the state's filters into engine filters.
func (s State) queryFilters() []aggregate.Filter {
	out := make([]aggregate.Filter, 0, len(s.Filters))
	for _, f := range s.Filters {
		op := f.Op
		if op == "" {
			op = aggregate.OpIs
		}
		qf, err := aggregate.NewFilter(op, f.Dim, []string{f.Value})
		if nm := aggregate.NamedDim(f.Dim); nm != "" && op == aggregate.OpContains {
			// People see country and region names, so "contains"
			// searches those (the codes where a name filter would be
			// too broad: a letter of thousands of region names).
			if nf, nerr := aggregate.NewNamedFilter(op, nm, []string{f.Value}); nerr == nil {
				qf, err = nf, nil
			}
		}
		if err == nil {
			qf.Prop = f.Prop
			out = append(out, qf)
		}
	}
	return out
}
