package aggregate

import "time"

// Engagement — how far a page view was scrolled and how long it held the
// visitor's attention — is counted per site, UTC hour, hostname and page:
// the page views that reported engagement, the sum of their deepest scroll
// (percent) and the sum of their engaged time (ms). scroll_depth is then
// the mean deepest scroll per page view and time_on_page the mean engaged
// time per page view: sums over sums, like every other metric.
//
// A page view may report several times (each time the page is hidden, and
// when an SPA navigates away); its deepest scroll must count once, at its
// maximum. The visit in progress (memory only, like everything that
// decides a counter) remembers the page view being reported and its
// deepest scroll so far, so that a later report adds only the difference.
// A hit without a visit counts each report as a page view.
//
// Engagement travels as a cell whose Hostname field holds engMark (and the
// page's hostname in Source), like property cells (props.go), so that the
// journal, spilling and exactly-once batches apply; the stores keep such
// cells in their own table (engagement). Its counters are carried in
// Visits (page views), Bounces (scroll sum) and Duration (time, ms).

// EngagementEvent is the event name of an engagement report. It is never
// counted as a pageview or an event.
const EngagementEvent = "engagement"

const engMark = "\x00eng"

// EngagementCellKey returns the key of the engagement cell of a page.
func EngagementCellKey(hostname, page string) Key {
	var k Key
	k[Hostname] = engMark
	k[Source] = hostname
	k[Page] = page
	return k
}

// EngagementOf reports whether k is an engagement cell's key, and its page.
func EngagementOf(k *Key) (hostname, page string, ok bool) {
	if k[Hostname] != engMark {
		return "", "", false
	}
	return k[Source], k[Page], true
}

// applyEngagement counts an engagement report. Callers hold a.mu.
func (a *Aggregator) applyEngagement(h *Hit) {
	a.boundValues(h, Hostname, Page)
	hour := h.Time.UTC().Truncate(time.Hour)
	var delta Counters
	delta.Duration = h.Engaged
	depth := int64(max(h.ScrollDepth, 0))
	s := a.sessions[h.Visitor]
	if h.Visitor == 0 || s == nil || h.Time.Sub(s.last) >= VisitGap {
		delta.Visits, delta.Bounces = 1, depth
	} else {
		view := h.Key[Hostname] + "\x1f" + h.Key[Page]
		if s.engView != view || s.engPageviews != s.pageviews {
			// The first report of this page view.
			s.engView, s.engPageviews, s.engDepth = view, s.pageviews, depth
			delta.Visits, delta.Bounces = 1, depth
		} else if depth > s.engDepth {
			delta.Bounces = depth - s.engDepth
			s.engDepth = depth
		}
	}
	if delta.IsZero() {
		return
	}
	k := EngagementCellKey(h.Key[Hostname], h.Key[Page])
	a.bump(h.Site, hour, &k, &delta)
}
