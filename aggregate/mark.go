package aggregate

import "time"

// Which unique counters a hit counts: the first time today its visitor
// produces each counter's combination, looked up in the day's
// first-occurrence set (firsts.go).

// Bounds on what one visitor and one site may add to the day's set, so a
// client posting endless new pages cannot use it up for every site: past
// them, new combinations of that visitor (or site) are not counted.
const maxVisitFirsts = 2048

// markFirsts sets u to 1 for each unique counter whose combination of
// (site, visitor, local day, values of key) is new today. s is the hit's
// visit, nil when it has none; a visit's later hits look up only the
// combinations whose values changed since its previous hit. The local day
// (in the site's zone) is part of every combination, so a visitor counts
// once in each of the site's days it is seen in, and the UTC hour in the
// hour counter's. Callers hold a.mu.
func (a *Aggregator) markFirsts(h *Hit, s *session, u *[NumUniques]int64) {
	f := a.firsts
	zone := h.Zone
	if zone == nil {
		zone = time.UTC
	}
	localDay := CivilDay(h.Time, zone)
	hour := h.Time.Unix() / 3600
	visitor := siteVisitor(h.Site, h.Visitor) ^ mix(uint64(localDay))
	key := &h.Key
	var hv [NumDims]uint64
	var tuple uint64
	for d := Hostname; int(d) < NumDims; d++ {
		if d == ExitPage {
			continue
		}
		hv[d] = f.valueHash(key[d])
		if d.Level() != HitLevel {
			tuple = mix(tuple ^ hv[d])
		}
	}
	used := a.siteFirsts[h.Site]
	full := used >= a.cfg.MaxFirsts/2 || (s != nil && s.firsts >= maxVisitFirsts)
	mark := func(un Unique, x, y uint64) {
		if full {
			f.full++
			return
		}
		if f.add(combine(visitor, un, x, y)) {
			u[un] = 1
			a.siteFirsts[h.Site]++
			if s != nil {
				s.firsts++
			}
		}
	}
	known := s != nil && s.markedSet == a.day && s.markedDay == localDay
	if !known || s.tuple != tuple {
		mark(UVisitor, 0, 0)
		for d := Source; int(d) < NumDims; d++ {
			if d != ExitPage {
				mark(UniqueOf(d), hv[d], 0)
			}
		}
	}
	if !known || s.tuple != tuple || s.page != hv[Page] {
		mark(UniqueOf(Page), hv[Page], 0)
		for i, v := range visitDims {
			mark(uPage+Unique(i), hv[Page], hv[v])
		}
	}
	if !known || s.tuple != tuple || s.event != hv[Event] {
		mark(UniqueOf(Event), hv[Event], 0)
		for i, v := range visitDims {
			mark(uEvent+Unique(i), hv[Event], hv[v])
		}
	}
	if !known || s.host != hv[Hostname] {
		mark(UniqueOf(Hostname), hv[Hostname], 0)
	}
	if !known || s.hour != hour {
		mark(UHour, uint64(hour), 0)
	}
	if s != nil {
		s.markedSet, s.markedDay, s.tuple = a.day, localDay, tuple
		s.page, s.event, s.host, s.hour = hv[Page], hv[Event], hv[Hostname], hour
	}
}

// siteVisitor makes a visitor key the site's own: a key is made with the
// site already, but the set must not depend on the caller for that.
func siteVisitor(site int64, visitor uint64) uint64 {
	return visitor ^ mix(uint64(site)+0x632be59bd9b4e019)
}
