package aggregate

import (
	"fmt"
	"strings"

	"tally/internal/locale"
)

// CountryNameDim is Plausible's visit:country_name: visit:country shown as
// English names. Cells keep the code; names are presentation, applied to
// result rows and translated back to codes in filters, so the stores never
// see them. RegionNameDim is the same for visit:region (ISO 3166-2).
const (
	CountryNameDim = "visit:country_name"
	RegionNameDim  = "visit:region_name"
)

// namedDim is a dimension whose cells hold codes shown by name.
type namedDim struct {
	dim   Dim
	name  func(code string) string // "" for an unknown code
	codes func() []string          // every code with a name
}

var namedDims = map[string]namedDim{
	CountryNameDim: {Country, locale.CountryName, locale.CountryCodes},
	RegionNameDim:  {Region, locale.RegionName, locale.RegionCodes},
}

// NamedDim is the API name under which d is shown by name:
// "visit:country_name" for Country, "visit:region_name" for Region, ""
// for the others.
func NamedDim(d Dim) string {
	for nm, n := range namedDims {
		if n.dim == d {
			return nm
		}
	}
	return ""
}

// unavailable are Plausible dimensions tally has no data for, with the
// reason an API answer gives.
var unavailable = map[string]string{
	"visit:city_name": "tally does not store cities",
	"visit:city":      "tally does not store cities",
}

// PropPrefix begins the name of a custom property's dimension.
const PropPrefix = "event:props:"

// parseNamed resolves the dimension names that are not plain cells.
func parseNamed(name string) (Dimension, bool, error) {
	if n, ok := namedDims[name]; ok {
		return Dimension{Name: name, Dim: n.dim}, true, nil
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
// visit:country_name and visit:region_name included: their values are
// names, matched (by any operator) against the names of the known codes,
// and the filter becomes "is" (or "is_not") on the matching codes.
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
	nd := namedDims[name]
	byName, err := NewFilter(op, nd.dim, values)
	if err != nil {
		return Filter{}, err
	}
	var codes, others []string
	for _, c := range append(nd.codes(), NotSet) { // NotSet matches the empty code, as shown
		name := nd.name(c)
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
	if len(codes) > MaxFilterValues {
		// Regions: thousands of names, so both sides can be long.
		return Filter{}, fmt.Errorf("filter on %s matches %d names and leaves out %d: one side must be at most %d; narrow it", name, len(others), len(codes), MaxFilterValues)
	}
	if len(codes) == 0 {
		// No country has such a name: keep the names, which no two-letter
		// code equals, so "is" keeps nothing and "is_not" everything.
		codes = values
	}
	return NewFilter(positive, nd.dim, codes)
}

// nameRows shows codes as names in the columns of q's named dimensions
// (unknown codes and "(not set)" as they are).
func nameRows(q *Query, rows []Row) {
	for i, d := range q.Dimensions {
		nd, ok := namedDims[d.Name]
		if !ok {
			continue
		}
		for _, r := range rows {
			if n := nd.name(r.Dimensions[i]); n != "" {
				r.Dimensions[i] = n
			}
		}
	}
}
