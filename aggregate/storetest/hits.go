package storetest

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"tally/aggregate"
)

// VisitorKey is the deterministic visitor key of visitor i on the UTC day of
// t: like the collector's, it differs on every day (the salt rotates).
func VisitorKey(i int, t time.Time) uint64 {
	day := uint64(t.UTC().Truncate(24 * time.Hour).Unix())
	x := day*1_000_003 + uint64(i) + 0x9e3779b97f4a7c15
	// splitmix64: a uniform 64-bit hash, as the collector's keyed hash is.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x | 1
}

// Standard is the standard scenario: 10 visitors (Chrome ×4, Firefox ×3,
// Safari on iPhone ×3), each reading three pages a minute apart, all arriving
// from a newsletter link with utm_source=newsletter, from start on.
func Standard(site int64, start time.Time) []aggregate.Hit {
	var hits []aggregate.Hit
	for i := 0; i < 10; i++ {
		var k aggregate.Key
		k[aggregate.Hostname] = "example.com"
		k[aggregate.Event] = aggregate.PageviewEvent
		k[aggregate.Source] = "newsletter"
		k[aggregate.UTMSource] = "newsletter"
		k[aggregate.Language] = "en"
		switch {
		case i < 4:
			k[aggregate.Browser], k[aggregate.BrowserVersion] = "Chrome", "131"
			k[aggregate.OS], k[aggregate.OSVersion], k[aggregate.Device] = "Windows", "10", "Desktop"
			k[aggregate.Country] = "DE"
		case i < 7:
			k[aggregate.Browser], k[aggregate.BrowserVersion] = "Firefox", "133"
			k[aggregate.OS], k[aggregate.OSVersion], k[aggregate.Device] = "Linux", "", "Desktop"
			k[aggregate.Country] = "FR"
		default:
			k[aggregate.Browser], k[aggregate.BrowserVersion] = "Safari", "18"
			k[aggregate.OS], k[aggregate.OSVersion], k[aggregate.Device] = "iOS", "18", "Mobile"
			k[aggregate.Country] = "US"
		}
		at := start.Add(time.Duration(i) * 2 * time.Minute)
		for j, page := range []string{"/", "/pricing", "/docs"} {
			k[aggregate.Page] = page
			hits = append(hits, aggregate.Hit{Site: site, Time: at.Add(time.Duration(j) * time.Minute), Visitor: VisitorKey(i, at), Key: k})
		}
	}
	return hits
}

// value lists for Mixed; "" is a missing value ("(not set)", "Direct / None").
var (
	mixHosts     = []string{"example.com", "www.example.com"}
	mixPages     = []string{"/", "/pricing", "/docs/start", "/blog/Über-uns", "/docs/API"}
	mixSources   = []string{"", "Google", "DuckDuckGo", "news.ycombinator.com", "newsletter"}
	mixReferrers = []string{"", "google.com/", "duckduckgo.com/", "news.ycombinator.com/item"}
	mixUTM       = []string{"", "", "spring", "Spring-Sale", "b2b"}
	mixCountries = []string{"DE", "FR", "US", "JP", ""}
	mixRegions   = []string{"", "DE-BE", "FR-IDF", "US-CA"}
	mixBrowsers  = []string{"Chrome", "Chrome", "Firefox", "Safari", "Edge"}
	mixVersions  = []string{"131", "130", "18", "133"}
	mixOS        = []string{"Windows", "macOS", "Linux", "iOS", "Android"}
	mixOSVer     = []string{"", "10", "14", "18"}
	mixDevices   = []string{"Desktop", "Mobile", "Tablet"}
	mixLangs     = []string{"en", "de", "fr", "ja", ""}
	mixEvents    = []string{"Signup", "Download"}
)

// Mixed is a varied day: 40 visitors with values drawn (reproducibly) from
// small lists, so every dimension has several values and some empty ones;
// 1–4 pageviews each and some custom events. Each visitor makes one visit.
func Mixed(site int64, day time.Time) []aggregate.Hit {
	r := rand.New(rand.NewPCG(uint64(day.Unix()), 7))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	var hits []aggregate.Hit
	for i := 0; i < 40; i++ {
		var k aggregate.Key
		k[aggregate.Hostname] = pick(mixHosts)
		k[aggregate.Source] = pick(mixSources)
		if k[aggregate.Source] != "" && k[aggregate.Source] != "newsletter" {
			k[aggregate.Referrer] = pick(mixReferrers[1:])
		}
		k[aggregate.UTMSource] = pick(mixUTM)
		k[aggregate.UTMMedium] = pick(mixUTM)
		k[aggregate.UTMCampaign] = pick(mixUTM)
		k[aggregate.UTMContent] = pick(mixUTM)
		k[aggregate.UTMTerm] = pick(mixUTM)
		k[aggregate.Country] = pick(mixCountries)
		k[aggregate.Region] = pick(mixRegions)
		k[aggregate.Browser] = pick(mixBrowsers)
		k[aggregate.BrowserVersion] = pick(mixVersions)
		k[aggregate.OS] = pick(mixOS)
		k[aggregate.OSVersion] = pick(mixOSVer)
		k[aggregate.Device] = pick(mixDevices)
		k[aggregate.Language] = pick(mixLangs)
		at := day.Add(time.Duration(r.IntN(20*60)) * time.Minute) // 00:00–20:00
		visitor := VisitorKey(i, at)
		for j, n := 0, 1+r.IntN(4); j < n; j++ {
			k[aggregate.Event] = aggregate.PageviewEvent
			k[aggregate.Page] = pick(mixPages)
			hits = append(hits, aggregate.Hit{Site: site, Time: at, Visitor: visitor, Key: k})
			at = at.Add(time.Duration(1+r.IntN(5)) * time.Minute)
			if r.IntN(4) == 0 {
				k[aggregate.Event] = pick(mixEvents)
				hits = append(hits, aggregate.Hit{Site: site, Time: at, Visitor: visitor, Key: k, Props: mixedProps(k[aggregate.Event], i, j)})
				at = at.Add(time.Minute)
			}
		}
	}
	return hits
}

// mixedProps are the custom properties of Mixed's events, drawn without
// the random source so that the rest of Mixed stays as it was: a Signup's
// plan, and a Download's file (a URL, as the outbound-link and
// file-download trackers send it) and, for some, its plan too.
func mixedProps(event string, visitor, n int) []aggregate.Prop {
	plan := aggregate.Prop{Key: "plan", Value: []string{"free", "pro", "team"}[visitor%3]}
	if event == "Signup" {
		return []aggregate.Prop{plan}
	}
	file := aggregate.Prop{Key: "url", Value: fmt.Sprintf("https://example.com/files/guide-%d.pdf", (visitor+n)%2)}
	if visitor%2 == 0 {
		return []aggregate.Prop{file, plan}
	}
	return []aggregate.Prop{file}
}

// counts is what the oracle expects for one filter.
type counts struct{ Visitors, Visits, Pageviews, Events float64 }

// display mirrors how the engine shows (and filters) an empty value.
func display(d aggregate.Dim, v string) string {
	if v != "" {
		return v
	}
	if d == aggregate.Source {
		return aggregate.NoneSource
	}
	return aggregate.NotSet
}

// matches is the oracle's own reading of the filter operators.
func matches(f aggregate.Filter, k aggregate.Key) bool {
	v := display(f.Dim, k[f.Dim])
	any := false
	for _, w := range f.Values {
		switch f.Op {
		case aggregate.OpIs, aggregate.OpIsNot:
			any = any || v == w
		case aggregate.OpContains, aggregate.OpContainsNot:
			any = any || strings.Contains(strings.ToLower(v), strings.ToLower(w))
		case aggregate.OpMatches, aggregate.OpMatchesNot:
			any = any || regexp.MustCompile(w).MatchString(v)
		}
	}
	switch f.Op {
	case aggregate.OpIsNot, aggregate.OpContainsNot, aggregate.OpMatchesNot:
		return !any
	}
	return any
}

// expect computes, without the aggregator, what a one-day query with filter f
// must answer for hits in which every visitor makes exactly one visit: the
// visit's first hit sets its visit-level values and entry page; a filter on
// the exit page counts visits by their last page instead.
func expect(hits []aggregate.Hit, f aggregate.Filter) counts {
	type visit struct {
		first aggregate.Key
		last  aggregate.Key // of the last pageview
	}
	visits := map[uint64]*visit{}
	var order []uint64
	var c counts
	seen := map[uint64]bool{}
	for _, h := range hits {
		v := visits[h.Visitor]
		if v == nil {
			v = &visit{first: h.Key}
			v.first[aggregate.EntryPage] = h.Key[aggregate.Page]
			visits[h.Visitor] = v
			order = append(order, h.Visitor)
		}
		k := h.Key
		for _, d := range []aggregate.Dim{aggregate.Source, aggregate.Referrer, aggregate.UTMSource, aggregate.UTMMedium,
			aggregate.UTMCampaign, aggregate.UTMContent, aggregate.UTMTerm, aggregate.EntryPage} {
			k[d] = v.first[d]
		}
		if h.IsPageview() {
			v.last = k
		}
		if f.Dim == aggregate.ExitPage || !matches(f, k) {
			continue
		}
		c.Events++
		if h.IsPageview() {
			c.Pageviews++
		}
		seen[h.Visitor] = true
	}
	for _, id := range order {
		v := visits[id]
		if f.Dim != aggregate.ExitPage {
			if matches(f, v.first) {
				c.Visits++
			}
			continue
		}
		exit := v.last
		exit[aggregate.ExitPage] = exit[aggregate.Page]
		exit[aggregate.Event] = ""
		if matches(f, exit) {
			c.Visits++
			seen[id] = true
		}
	}
	c.Visitors = float64(len(seen))
	return c
}
