package aggregate

// A Unique is one first-occurrence visitor counter. Each cell holds one of
// each: the number of visitors for whom a hit of this cell was their first
// hit today (UTC) with this counter's combination of values. Summing a
// counter over the cells a query selects, grouped by the query's
// dimensions, gives distinct visitors per day, summed over days — exactly,
// when the counter's combination is the query's (Uniques.For picks it).
//
// The numbers index Cell.Uniques and the spill file; the column names are
// the stores'. TestStoredCodes pins both: append, never reorder.
type Unique int

const (
	// UVisitor counts a visitor once a day: totals.
	UVisitor Unique = 0
	// uDim + d counts (visitor, value of d): breakdowns by d, and filters
	// on d, alone or with visitor-level dimensions.
	uDim Unique = 1
	// uPage + i counts (visitor, page, value of visitDims[i]): pages under
	// a visit-level filter, and visit-level breakdowns under a page filter.
	uPage Unique = uDim + Unique(NumDims)
	// uEvent + i counts (visitor, event name, value of visitDims[i]).
	uEvent Unique = uPage + Unique(len(visitDims))

	// UHour counts (visitor, UTC hour): visitors per hour.
	UHour Unique = uEvent + Unique(len(visitDims))

	// NumUniques is the number of unique counters a cell holds.
	NumUniques = int(UHour) + 1
)

// UniqueOf returns the counter of (visitor, value of d).
func UniqueOf(d Dim) Unique { return uDim + Unique(d) }

// Column is the counter's column in both stores.
func (u Unique) Column() string {
	switch {
	case u == UVisitor:
		return "visitors"
	case u < uPage:
		return "v_" + Dim(u-uDim).Column()
	case u < uEvent:
		return "v_page_" + visitDims[u-uPage].Column()
	case u < UHour:
		return "v_event_" + visitDims[u-uEvent].Column()
	}
	return "v_hour"
}

// UniqueColumns lists every counter's column, by number.
func UniqueColumns() []string {
	out := make([]string, NumUniques)
	for i := range out {
		out[i] = Unique(i).Column()
	}
	return out
}

// visitDimIndex returns d's index in visitDims, or -1.
func visitDimIndex(d Dim) int {
	for i, v := range visitDims {
		if v == d {
			return i
		}
	}
	return -1
}

// uniqueFor picks the counter that answers "visitors" for a query whose
// dimensions and filters name dims (time grains aside), and reports whether
// the answer is exact. It is exact when the counter's combination covers
// every named hit- and visit-level dimension and nothing more; visitor-level
// dimensions ride along free, as a visitor's location, browser, device and
// language are those of every hit of its day (they come from the address
// and user agent that make its key). Where no counter fits, the first
// grouped dimension's counter is used: a visitor is then counted once per
// value of it, in the cell where that value first appeared, and the
// approximation is measured in docs/metrics.md.
func uniqueFor(grouped, filtered []Dim, hourly bool) (Unique, bool) {
	var hit, visit []Dim
	seen := map[Dim]bool{}
	var visitor []Dim
	for _, d := range append(append([]Dim{}, grouped...), filtered...) {
		if seen[d] {
			continue
		}
		seen[d] = true
		switch d.Level() {
		case HitLevel:
			hit = append(hit, d)
		case VisitLevel:
			visit = append(visit, d)
		default:
			visitor = append(visitor, d)
		}
	}
	if hourly {
		// Visitors per hour: exact alone and under visitor-level filters;
		// with other dimensions, the visitors whose first hit of the day
		// with those values fell in the hour.
		if len(hit) == 0 && len(visit) == 0 && len(grouped) == 0 {
			return UHour, true
		}
		u, _ := uniqueFor(grouped, filtered, false)
		return u, false
	}
	if seen[ExitPage] {
		// Exit cells count one thing per ended visit: its exit, and the
		// visitor the first time today it left from that page.
		return UniqueOf(ExitPage), len(hit) == 0 && len(visit) == 1
	}
	switch {
	case len(hit) == 0 && len(visit) == 0 && len(visitor) == 0:
		return UVisitor, true
	case len(hit) == 0 && len(visit) == 0:
		// Visitor-level only. A visitor's attributes are fixed for its day
		// but for the rare change (another language mid-day): the grouped
		// dimension's own counter counts such a visitor under each value.
		if len(grouped) > 0 {
			return UniqueOf(grouped[0]), true
		}
		return UniqueOf(visitor[0]), true
	case len(hit) == 0 && len(visit) == 1:
		return UniqueOf(visit[0]), true
	case len(hit) == 1 && len(visit) == 0:
		return UniqueOf(hit[0]), true
	case len(hit) == 1 && len(visit) == 1 && (hit[0] == Page || hit[0] == Event):
		if i := visitDimIndex(visit[0]); i >= 0 {
			if hit[0] == Page {
				return uPage + Unique(i), true
			}
			return uEvent + Unique(i), true
		}
	}
	if len(grouped) > 0 {
		return UniqueOf(grouped[0]), false
	}
	if len(hit) > 0 {
		return UniqueOf(hit[0]), false
	}
	return UniqueOf(visit[0]), false
}
