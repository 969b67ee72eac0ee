package aggregate

import "time"

// VisitGap ends a visit: a hit more than this long after the visitor's
// previous one starts a new visit.
const VisitGap = 30 * time.Minute

// session is one visit in progress. It lives only in memory, keyed by the
// visitor key, and is never written anywhere. A busy server holds hundreds
// of thousands, so it is kept small and nearly free of pointers, which the
// garbage collector would have to follow on every cycle: the start key is
// one encoded string, the remembered rollups are slots.
type session struct {
	site      int64
	last      time.Time // time of the latest hit
	startHour time.Time // hour of the cell that holds visits, bounces, duration
	startKey  string    // that cell's key (Key.Encode): the first hit's, with EntryPage set
	pageviews int
	lastPage  string    // path of the latest pageview, the exit page if it ends now
	lastHost  string    // hostname of that pageview
	lastHour  time.Time // hour of that pageview

	// Where the visit's bumps last landed, so its next hit finds them
	// without map lookups: start for the visit's own counters (its key is
	// startKey), hit for its hits, whose hit-level values were hitVals.
	start   target
	hit     target
	hitVals [hitDims]string
}

// target is where one bump landed: a cell and the day rollups it rolls up
// into. The cell pointer and the rollup slots stay valid while the
// aggregator's epoch is the one they were taken in (it moves whenever a
// cell or rollup leaves memory) and the bump's day is the same. For a
// visit's hit target the visitor is in every sketch it names; the start
// target is only ever bumped without a visitor (the visit's own counters).
type target struct {
	epoch   uint64
	hour    int64 // the cell's hour, Unix seconds
	day     int64 // the rollups' civil day, as civilDay returns it
	cell    *openCell
	rollups [NumDims + 1]slot // by Dim, Totals last; 0 until used
}

// key returns the visit's key, decoded from startKey.
func (s *session) key() Key {
	var k Key
	decodeKeyInto(&k, s.startKey)
	return k
}

// exitKey is the key of the exit cell this visit adds to when it ends: the
// visit's own dimensions, with the last page as page and exit page.
func (s *session) exitKey() Key {
	k := s.key()
	k[Hostname] = s.lastHost
	k[Page] = s.lastPage
	k[ExitPage] = s.lastPage
	k[Event] = ""
	return k
}

// isExit reports whether a cell key belongs to an exit cell. Exit cells count
// only Exits (and the visitor in their sketch); every other cell has no exit page.
func isExit(k *Key) bool { return k[ExitPage] != "" }
