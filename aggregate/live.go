package aggregate

import (
	"sort"
	"time"
)

// The realtime view: visitors and pageviews per minute over the last
// LiveMinutes minutes, and what the visitors seen in the last few minutes
// are reading, where they came from and where they are. It is this
// instance's memory — per-minute counters and the session table — kept
// across a clean restart as counts (livesave.go); each instance of a fleet
// sees the visitors routed to it.

// LiveMinutes is how far back the per-minute counts go.
const LiveMinutes = 30

// minuteCount is one minute of one site.
type minuteCount struct {
	minute              int64 // Unix minutes
	visitors, pageviews int
}

// liveRing holds a site's last LiveMinutes minutes, indexed by minute
// modulo LiveMinutes; a slot whose minute is older is stale.
type liveRing [LiveMinutes]minuteCount

// seeLive counts a hit in its site's minute: a pageview, and a visitor the
// first time the visit (s) is seen in that minute. A hit without a visit
// (an anonymous pageview, or the session table full) is no visitor one
// could tell apart. Callers hold a.mu.
func (a *Aggregator) seeLive(h *Hit, s *session, pv bool) {
	m := h.Time.Unix() / 60
	if m <= a.now().Unix()/60-LiveMinutes {
		return // too old to show
	}
	r := a.live[h.Site]
	if r == nil {
		r = &liveRing{}
		a.live[h.Site] = r
	}
	slot := &r[m%LiveMinutes]
	if slot.minute != m {
		*slot = minuteCount{minute: m}
	}
	if pv {
		slot.pageviews++
	}
	if s != nil && s.liveMinute != m {
		slot.visitors++
		s.liveMinute = m
	}
}

// Live is the realtime view of one site.
type Live struct {
	Minutes   []LiveMinute // oldest first, the current minute last
	Current   int          // visitors whose latest hit is within the window
	Pages     []LiveCount  // their latest pages
	Sources   []LiveCount  // their visits' sources
	Countries []LiveCount  // their countries
}

// LiveMinute is one minute of the realtime chart.
type LiveMinute struct {
	At                  time.Time
	Visitors, Pageviews int
}

// LiveCount is a value and how many current visitors have it.
type LiveCount struct {
	Value string
	N     int
}

// Live returns site's realtime view: minutes up to now, and the current
// visitors — those whose latest hit is newer than now minus window.
func (a *Aggregator) Live(site int64, window time.Duration) Live {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	var out Live
	r := a.live[site]
	last := now.Unix() / 60
	for m := last - LiveMinutes + 1; m <= last; m++ {
		lm := LiveMinute{At: time.Unix(m*60, 0).UTC()}
		if r != nil && r[m%LiveMinutes].minute == m {
			lm.Visitors, lm.Pageviews = r[m%LiveMinutes].visitors, r[m%LiveMinutes].pageviews
		}
		out.Minutes = append(out.Minutes, lm)
	}
	pages, sources, countries := map[string]int{}, map[string]int{}, map[string]int{}
	since := now.Add(-window)
	for _, s := range a.sessions {
		if s.site != site || !s.last.After(since) {
			continue
		}
		out.Current++
		k := s.key()
		if s.lastPage != "" {
			pages[s.lastPage]++
		}
		sources[display(Source, k[Source])]++
		countries[display(Country, k[Country])]++
	}
	a.restoredLive(site, since, &out.Current, pages, sources, countries)
	out.Pages, out.Sources, out.Countries = ranked(pages), ranked(sources), ranked(countries)
	return out
}

// ranked lists counts by count, then value.
func ranked(m map[string]int) []LiveCount {
	out := make([]LiveCount, 0, len(m))
	for v, n := range m {
		out = append(out, LiveCount{v, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Value < out[j].Value
	})
	return out
}
