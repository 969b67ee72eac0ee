package aggregate

import (
	"errors"
	"fmt"
	"slices"
)

// The Stats API's "not" and "or" over filters. A query keeps a flat list of
// filters joined by "and" (each one a single condition the stores compile
// the same way), so these rewrite a logical filter into that form where it
// has one, and say so plainly where it has none.

// Not returns the filter that keeps exactly the cells f drops: "is" and
// "is_not" (and the other pairs) are each other's negation, value lists
// included (not "any of them" is "none of them").
func Not(f Filter) Filter {
	flip := map[string]string{
		OpIs: OpIsNot, OpIsNot: OpIs,
		OpContains: OpContainsNot, OpContainsNot: OpContains,
		OpMatches: OpMatchesNot, OpMatchesNot: OpMatches,
	}
	f.Op = flip[f.Op]
	f.Values = slices.Clone(f.Values)
	f.res = slices.Clone(f.res)
	return f
}

// AnyOf joins filters with "or". It can when they test one dimension with
// one positive operator: the result lets a cell through when any value
// matches, which is what one filter with all their values does. Anything
// else ("or" across dimensions, or of negations) has no flat form and is
// an error that says so, never a silently different query.
func AnyOf(fs []Filter) (Filter, error) {
	if len(fs) == 0 {
		return Filter{}, errors.New(`"or" needs at least one filter`)
	}
	out := fs[0]
	out.Values, out.res = slices.Clone(out.Values), slices.Clone(out.res)
	for _, f := range fs[1:] {
		if f.Dim != out.Dim || f.Prop != out.Prop || f.Op != out.Op {
			return Filter{}, fmt.Errorf(`"or" is supported between filters on one dimension with one operator (%s %s, %s %s)`,
				out.Dim, out.Op, f.Dim, f.Op)
		}
		out.Values = append(out.Values, f.Values...)
		out.res = append(out.res, f.res...)
	}
	if len(fs) > 1 && out.negated() {
		return Filter{}, fmt.Errorf(`"or" of negated filters (%s) is not supported; use "not" around an "or"`, out.Op)
	}
	return out, nil
}
