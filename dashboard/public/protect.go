// Package public is the one protection layer between tally's aggregates and
// anything shown without login: shared dashboards, published reports in
// HTML, JSON and CSV, and the privacy notice. Every public number passes
// through Build, which applies the rules in docs/reports.md: closed days
// only, numbers decided once per day or month bucket and summed for longer
// periods, minimum group size, no remainder small enough to recover by
// subtraction, rounding, and optional two-sided geometric noise.
//
// It must never let out a group of fewer than K visitors (not even as the
// difference of two published numbers), a query string, an hour-level
// time, anything of a day that has not closed, or any count a visitor could
// be singled out by.
package public

import (
	"fmt"
	"math"
	"strings"
	"tally/account"
)

// Defaults and floors of the protection parameters.
const (
	DefaultMinVisitors = 10
	MinMinVisitors     = 2 // K below this would publish single visitors
	DefaultRound       = 5
)

// Policy is what a public view promises: groups of at least MinVisitors (K)
// visitors, counts rounded to Round (N), noise of budget Epsilon (ε; 0 none).
type Policy struct {
	MinVisitors int
	Round       int
	Epsilon     float64
}

// DefaultPolicy is what `tally site publish` uses without flags.
var DefaultPolicy = Policy{MinVisitors: DefaultMinVisitors, Round: DefaultRound}

// PolicyOf reads a share's parameters, raising any below its floor, so a
// share written by another tool can never weaken the layer.
func PolicyOf(sh account.Share) Policy {
	p := Policy{MinVisitors: sh.MinVisitors, Round: sh.Round, Epsilon: sh.Epsilon}
	if p.MinVisitors < MinMinVisitors {
		p.MinVisitors = MinMinVisitors
	}
	if p.Round < 1 {
		p.Round = 1
	}
	if !(p.Epsilon > 0) || math.IsInf(p.Epsilon, 0) {
		p.Epsilon = 0
	}
	return p
}

// Validate reports a parameter a site owner asked for that the layer refuses.
func (p Policy) Validate() error {
	switch {
	case p.MinVisitors < MinMinVisitors:
		return fmt.Errorf("minimum group size must be at least %d, got %d", MinMinVisitors, p.MinVisitors)
	case p.Round < 1:
		return fmt.Errorf("rounding must be at least 1, got %d", p.Round)
	case p.Epsilon < 0 || math.IsNaN(p.Epsilon) || math.IsInf(p.Epsilon, 0):
		return fmt.Errorf("epsilon must be 0 (no noise) or positive, got %v", p.Epsilon)
	}
	return nil
}

// Counts are the two numbers every public row has: true values inside the
// layer, published values in a Report.
type Counts struct {
	Visitors  int64 `json:"visitors"`
	Pageviews int64 `json:"pageviews"`
}

func (c Counts) empty() bool { return c.Visitors == 0 && c.Pageviews == 0 }

// group is one true, unprotected row. It never leaves this package.
type group struct {
	value string
	Counts
}

// showable is rule 1 (minimum group size) plus the value checks: a group
// is shown only with at least K visitors, and never when its value could
// carry a query string.
func showable(g group, k int64) bool {
	return g.Visitors >= k && !strings.ContainsAny(g.value, "?") && g.value != Other
}

// Other labels the row every hidden group folds into.
const Other = "(other)"

// fold applies rules 1 and 2 to groups (ordered as they will be shown):
//
//  1. a group with fewer than k visitors is hidden; at most limit groups
//     are shown (0: no limit), the rest are hidden too;
//  2. the hidden remainder, measured as true counts of everything not shown,
//     is published as "(other)" only when it holds at least k visitors;
//     otherwise it could be recovered as the total minus the shown groups.
//     While it is non-empty but too small and more than one group is
//     shown, the smallest shown group is hidden as well.
//
// When a single shown group is left and the remainder is not publishable,
// bare is true: the group is shown by name only, without counts (total −
// its count would reveal the remainder). A single group with no remainder
// is shown bare too, so that a withheld remainder cannot be told from none.
// rest is zero unless it is publishable.
func fold(groups []group, k int64, limit int, measure func(shown []group) (Counts, error)) (shown []group, rest Counts, bare bool, err error) {
	for _, g := range groups {
		if showable(g, k) && (limit == 0 || len(shown) < limit) {
			shown = append(shown, g)
		}
	}
	for {
		if rest, err = measure(shown); err != nil {
			return nil, Counts{}, false, err
		}
		if rest.Visitors >= k {
			return shown, rest, false, nil
		}
		if len(shown) == 1 {
			return shown, Counts{}, true, nil
		}
		if rest.empty() || len(shown) == 0 {
			return shown, Counts{}, false, nil
		}
		shown = dropSmallest(shown)
	}
}

// dropSmallest removes the shown group with the fewest visitors (the last
// of equals, so a ranking loses its tail first).
func dropSmallest(gs []group) []group {
	min := 0
	for i, g := range gs {
		if g.Visitors <= gs[min].Visitors {
			min = i
		}
	}
	return append(gs[:min:min], gs[min+1:]...)
}

// sumExcept measures the remainder of time groups by summing the hidden
// ones: a visitor count summed over disjoint days is exact by definition
// (DESIGN.md: a range's visitors are the sum of its daily counts).
func sumExcept(all []group) func(shown []group) (Counts, error) {
	return func(shown []group) (Counts, error) {
		in := map[string]bool{}
		for _, g := range shown {
			in[g.value] = true
		}
		var c Counts
		for _, g := range all {
			if !in[g.value] {
				c.Visitors += g.Visitors
				c.Pageviews += g.Pageviews
			}
		}
		return c, nil
	}
}

// publisher turns true counts into published ones: noise (when ε > 0),
// then rounding to unit, clamped to non-negative integers.
type publisher struct {
	noise *Noise
	unit  int64
	label string // identifies the site and bucket, prefixed to every count's label
}

func (p publisher) count(name string, v int64) (int64, error) {
	d, err := p.noise.Draw(p.label + "\x00" + name)
	if err != nil {
		return 0, err
	}
	return roundTo(max(v+d, 0), p.unit), nil
}

func (p publisher) counts(name string, c Counts) (Counts, error) {
	v, err := p.count(name+"\x00visitors", c.Visitors)
	if err != nil {
		return Counts{}, err
	}
	pv, err := p.count(name+"\x00pageviews", c.Pageviews)
	return Counts{Visitors: v, Pageviews: pv}, err
}

// roundTo rounds v ≥ 0 to the nearest multiple of unit, halves up.
func roundTo(v, unit int64) int64 {
	if unit <= 1 {
		return v
	}
	return (v + unit/2) / unit * unit
}
