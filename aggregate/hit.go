package aggregate

import "time"

// Hit is one counted event after the collector's privacy pipeline: no IP
// address, no user-agent string, no query string — only dimension values and
// a visitor key that changes every UTC day.
type Hit struct {
	Site int64
	Time time.Time
	// Visitor is the day's keyed hash of (salt, site, truncated IP, user
	// agent). Zero means an anonymous hit (a site that counts DNT/GPC hits):
	// it adds to pageviews and events only — no visitor, no visit.
	Visitor uint64
	// Key holds the hit-level and visitor-level dimensions and this hit's own
	// source, referrer and UTM values; the session table replaces the
	// visit-level ones with those of the visit's first hit.
	Key Key
	// Props are the hit's custom properties (props.go), at most
	// MaxHitProps of them counted.
	Props []Prop
	// ScrollDepth (0–100, -1 none) and Engaged (ms) are an engagement
	// report's (Key[Event] EngagementEvent: engagement.go).
	ScrollDepth int
	Engaged     int64
	// Zone is the site's time zone, in which the day rollups are reckoned;
	// nil means UTC.
	Zone *time.Location
	// Funnels are the site's funnels (funnels.go), shared by its hits and
	// never changed: the visit advances through them.
	Funnels []FunnelDef
}

// PageviewEvent is the event name of a page view.
const PageviewEvent = "pageview"

// IsPageview reports whether the hit is a page view rather than a custom event.
func (h *Hit) IsPageview() bool { return h.Key[Event] == PageviewEvent }

// visitDims are copied from a visit's first hit onto all of its hits.
var visitDims = [...]Dim{Source, Referrer, UTMSource, UTMMedium, UTMCampaign, UTMContent, UTMTerm, EntryPage}
