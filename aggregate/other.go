package aggregate

import "time"

// Other is the value that stands for every value of a dimension past a
// site's daily bound, and for every value of the cells a site adds past its
// cell bound: counts stay exact in total, and a flood of made-up paths (or
// campaigns, or referrers) shows as one row instead of a million.
const Other = "(other)"

// Cardinality bounds, per site: a client posting endless new values can
// fill only its own site's share of memory, never stop another site's
// counting.
//
// A value is folded when its (site, dimension) has seen MaxValues distinct
// values since 00:00 UTC; the values seen are remembered (as hashes, in
// memory) in a set of at most MaxSeenValues entries for all sites, past
// which every unseen value folds. A hit that would open a new cell when its
// site has SiteCells cells in memory (counting, or waiting for the store),
// or when all sites together have MaxCells and this one has its fair share
// (admits), goes to the site's overflow cell of that hour, every dimension
// Other (one for visits' exits, one for everything else).

// otherState is the aggregator's record of the values seen today.
type otherState struct {
	seen    *firsts                   // hashes of (site, dimension, value)
	counts  map[int64]*[NumDims]int32 // distinct values seen today, per site
	cells   map[int64]int             // cells in memory (counting or pending), per site
	logged  map[siteHour]bool         // sites and hours whose folding was logged
	props   map[propKeys]int32        // distinct property keys, and values of each key, seen today, per site
	overKey Key                       // every dimension Other but the exit page: the overflow cell
	propKey Key                       // the overflow property cell
	engKey  Key                       // the overflow engagement cell
	exitKey Key                       // every dimension Other: the overflow exit cell
}

type siteHour struct {
	site, hour int64
	cells      bool // the cell bound, not the value bound
}

func newOtherState(maxSeen int) otherState {
	var k Key
	for d := range k {
		k[d] = Other
	}
	exit := k
	k[ExitPage] = "" // a cell with an exit page holds exits only (render.go)
	return otherState{seen: newFirsts(maxSeen), counts: map[int64]*[NumDims]int32{},
		cells: map[int64]int{}, logged: map[siteHour]bool{}, overKey: k, exitKey: exit,
		propKey: PropCellKey(Other, Other, Other), engKey: EngagementCellKey(Other, Other)}
}

// newDay forgets the values seen (the bound is per UTC day).
func (f *otherState) newDay() {
	f.seen.clear()
	clear(f.counts)
	clear(f.logged)
	f.props = nil
}

// boundValues replaces the values of dims from..to (inclusive) of h that are
// new to their site today past the site's bound. Derived dimensions (entry
// and exit page) are copies of folded pages and are skipped. Callers hold
// a.mu.
func (a *Aggregator) boundValues(h *Hit, from, to Dim) {
	f := &a.other
	counts := f.counts[h.Site]
	for d := from; d <= to; d++ {
		v := h.Key[d]
		if v == "" || v == Other || d == EntryPage || d == ExitPage {
			continue
		}
		e := mix(uint64(h.Site)*0x9e3779b97f4a7c15^uint64(d)<<58) ^ a.firsts.valueHash(v)
		if e == 0 {
			e = 1
		}
		if f.seen.has(e) {
			continue
		}
		if counts == nil {
			counts = new([NumDims]int32)
			f.counts[h.Site] = counts
		}
		if int(counts[d]) < a.cfg.MaxValues && f.seen.add(e) {
			counts[d]++
			continue
		}
		h.Key[d] = Other
		a.valuesOther.Add(1)
		a.logOther(siteHour{h.Site, h.Time.Unix() / 3600, false}, "values past the site's daily bound fold into "+Other)
	}
}

// overflowKey returns the key a hit's cell takes: key itself, or the site's
// overflow key when the cell would be new past the site's cell bound.
// Callers hold a.mu and call it for a key whose cell is not open.
func (a *Aggregator) overflowKey(site int64, hour time.Time, key *Key) *Key {
	if a.admits(site) {
		return key
	}
	a.cellsOther.Add(1)
	a.logOther(siteHour{site, hour.Unix() / 3600, true}, "new cells past the site's bound fold into one cell of "+Other)
	if key[ExitPage] != "" {
		return &a.other.exitKey
	}
	if key[Hostname] == propMark {
		return &a.other.propKey
	}
	if key[Hostname] == engMark {
		return &a.other.engKey
	}
	return &a.other.overKey
}

// admits reports whether site may open a cell of its own; if not, a hit
// that needs a new cell goes to the site's overflow cell. A site may while
// it has fewer than SiteCells cells in memory and all sites together fewer
// than MaxCells. Past MaxCells (several sites flooding at once fill it
// between them), only a site below its fair share — MaxCells divided among
// the sites with cells in memory — may, up to an eighth more than MaxCells:
// a quiet site keeps counting its own pages while the floods fold. Callers
// hold a.mu.
func (a *Aggregator) admits(site int64) bool {
	n := a.other.cells[site]
	if n >= a.cfg.SiteCells {
		return false
	}
	total := len(a.cells) + a.pendingCells
	if total < a.cfg.MaxCells {
		return true
	}
	return n < a.cfg.MaxCells/max(len(a.other.cells), 1) && total < a.cfg.MaxCells+a.cfg.MaxCells/8
}

// logOther logs what folding began, once per site and hour. Callers hold a.mu.
func (a *Aggregator) logOther(k siteHour, what string) {
	if a.other.logged[k] {
		return
	}
	if len(a.other.logged) > 10_000 {
		clear(a.other.logged) // bounded; a repeat line is harmless
	}
	a.other.logged[k] = true
	a.log.Warn(what, "site", k.site, "hour", time.Unix(k.hour*3600, 0).UTC().Format(time.RFC3339),
		"max_values", a.cfg.MaxValues, "site_cells", a.cfg.SiteCells)
}
