package aggregate

import (
	"fmt"
	"strings"

	"tally/internal/locale"
)

// CountryNameDim is Plausible's visit:country_name: visit:country shown as
// English names. Cells keep the code; names are presentation, applied to
// result rows and translated back to codes in filters, so the stores never
// see them.
const CountryNameDim = "visit:country_name"

// unavailable are Plausible dimensions tally has no data for, with the
// reason an API answer gives.
var unavailable = map[string]string{
	"visit:region_name": "tally stores region codes only (visit:region, ISO 3166-2), not their names",
	"visit:city_name":   "tally does not store cities",
	"visit:city":        "tally does not store cities",
}

// PropPrefix begins the name of a custom property's dimension.
const PropPrefix = "event:props:"

// parseNamed resolves the dimension names that are not plain cells.
func parseNamed(name string) (Dimension, bool, error) {
	if name == CountryNameDim {
		return Dimension{Name: name, Dim: Country}, true, nil
	}
	if why, ok := unavailable[name]; ok {
		return Dimension{}, true, fmt.Errorf("dimension %s is not available: %s", name, why)
	}
	if name == GoalDimName {
		return Dimension{Name: name, Dim: GoalDim}, true, nil
	}
	if key, ok := strings.CutPrefix(name, PropPrefix); ok {
		if key == "" {
			return Dimension{}, true, fmt.Errorf("dimension %s names no property", name)
		}
		return Dimension{Name: name, Dim: PropValue, Prop: key}, true, nil
	}
	return Dimension{}, false, nil
}

// NewNamedFilter is NewFilter for a dimension given by its API name,
// visit:country_name included: its values are names, matched (by any
// operator) against the names of the known countries, and the filter
// becomes "is" (or "is_not") on the matching codes.
func NewNamedFilter(op, name string, values []string) (Filter, error) {
	if d, ok := ParseDim(name); ok {
		return NewFilter(op, d, values)
	}
	d, ok, err := parseNamed(name)
	if err != nil {
		return Filter{}, err
	} else if !ok {
		return Filter{}, fmt.Errorf("unknown dimension %q", name)
	}
	if d.Dim == GoalDim {
		return NewFilter(op, GoalDim, values)
	}
	if d.Dim == PropValue {
		f, err := NewFilter(op, PropValue, values)
		f.Prop = d.Prop
		return f, err
	}
	byName, err := NewFilter(op, Country, values)
	if err != nil {
		return Filter{}, err
	}
	var codes, others []string
	for _, c := range append(locale.CountryCodes(), NotSet) { // NotSet matches the empty code, as shown
		name := locale.CountryName(c)
		if c == NotSet {
			name = NotSet
		}
		if byName.matchAny(name) {
			codes = append(codes, c)
		} else {
			others = append(others, c)
		}
	}
	positive := OpIs
	if byName.negated() {
		positive = OpIsNot
	}
	if len(codes) > MaxFilterValues {
		// A broad pattern ("contains a"): the codes it leaves out are fewer.
		codes, positive = others, map[string]string{OpIs: OpIsNot, OpIsNot: OpIs}[positive]
	}
	if len(codes) == 0 {
		// No country has such a name: keep the names, which no two-letter
		// code equals, so "is" keeps nothing and "is_not" everything.
		codes = values
	}
	return NewFilter(positive, Country, codes)
}

// nameRows shows country codes as names in the columns of q's
// visit:country_name dimensions (unknown codes and "(not set)" as they are).
func nameRows(q *Query, rows []Row) {
	for i, d := range q.Dimensions {
		if d.Name != CountryNameDim {
			continue
		}
		for _, r := range rows {
			if n := locale.CountryName(r.Dimensions[i]); n != "" {
				r.Dimensions[i] = n
			}
		}
	}
}
