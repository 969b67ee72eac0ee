package aggregate

import "time"

// VisitGap ends a visit: a hit more than this long after the visitor's
// previous one starts a new visit.
const VisitGap = 30 * time.Minute

// session is one visit in progress. It lives only in memory, keyed by the
// visitor key, and is never written anywhere. A busy server holds hundreds
// of thousands, so it is kept small and nearly free of pointers, which the
// garbage collector would have to follow on every cycle: the start key is
// one encoded string.
type session struct {
	site      int64
	last      time.Time // time of the latest hit
	startHour time.Time // hour of the cell that holds visits, bounces, duration
	startKey  string    // that cell's key (Key.Encode): the first hit's, with EntryPage set
	pageviews int
	lastPage  string    // path of the latest pageview, the exit page if it ends now
	lastHost  string    // hostname of that pageview
	lastHour  time.Time // hour of that pageview

	// Counts of the visit's own cell not written to it yet (its duration
	// so far, a bounce taken back): settle writes them.
	owedDuration, owedBounces int64

	// Where the visit's exit is counted while it goes on (exitPage ""
	// before it first settles): each settle moves it to the latest page
	// (moveExit), so exit pages include visits in progress.
	exitPage, exitHost string
	exitHour           int64 // Unix seconds
	liveMinute         int64 // the latest minute the realtime view counted this visit in

	// What the visit's previous hit marked in the day's first-occurrence
	// set: in which set (its UTC day) and for which local day, hashes of
	// its visit- and visitor-level values (tuple), of its hit-level ones,
	// and its hour. A hit whose values hash the same need not look those
	// combinations up again — they are in the set since that hit.
	markedSet, markedDay int64
	tuple                uint64
	page, event, host    uint64
	hour                 int64
	firsts               int // entries this visit added to the set

	// The page view whose engagement was reported last (engagement.go):
	// its hostname and page, the visit's pageviews when it was counted
	// (a new pageview of the same page is a new page view), and its
	// deepest scroll so far.
	engView      string
	engPageviews int
	engDepth     int64

	// How far the visit got in each of its site's funnels (funnels.go);
	// nil for a site without funnels.
	funnels []funnelProgress
}

// key returns the visit's key, decoded from startKey.
func (s *session) key() Key {
	var k Key
	decodeKeyInto(&k, s.startKey)
	return k
}

// exitKey is the key of the exit cell of a visit whose last page is page
// on host: the visit's own dimensions, with that page as page and exit page.
func (s *session) exitKey(host, page string) Key {
	k := s.key()
	k[Hostname] = host
	k[Page] = page
	k[ExitPage] = page
	k[Event] = ""
	return k
}
