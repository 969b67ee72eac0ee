package aggregate

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Custom event properties are counted as aggregates, like everything else:
// per site, UTC hour, event name, property key and property value, the
// events and pageviews that carried the pair and the visitors who carried it
// the first time today (first-occurrence counters, decided at ingest from
// the day's in-memory set). Nothing per visitor is stored.
//
// A property count travels as a cell whose Hostname is propMark, so that
// everything that makes cells safe — the journal, spilling, batches stored
// exactly once, the memory bounds — applies to it unchanged. The stores
// keep such cells in their own table (props), never among the cells;
// PropOf tells them apart. The collector strips control characters from
// every value, so no hit's hostname is ever propMark.

// Prop is one custom property of a hit, after the collector's pipeline.
type Prop struct{ Key, Value string }

// MaxHitProps bounds the properties one hit counts (Plausible accepts 30).
const MaxHitProps = 30

// propMark marks a property cell (in the Hostname field of its key).
const propMark = "\x00prop"

// The fields of a property cell's key that hold its property key and value.
const (
	propKeyField   = Page
	propValueField = Referrer
)

// The first-occurrence combinations of property cells: (visitor, key,
// value) and (visitor, event, key, value). Their numbers only separate
// them from the cells' combinations in the day's set; they are never
// stored. A property cell keeps them in Uniques[UVisitor] and
// Uniques[UniqueOf(Event)], the stores' columns visitors and v_event.
const (
	uPropValue      Unique = 1000
	uPropEventValue Unique = 1001
)

// MaxPropKeys bounds the distinct property keys one site may add in a UTC
// day; keys past it, and values of one key past Config.MaxPropValues, fold
// into Other.
const MaxPropKeys = 300

// PropCellKey returns the key of the property cell of (event, key, value).
func PropCellKey(event, key, value string) Key {
	var k Key
	k[Hostname] = propMark
	k[Event] = event
	k[propKeyField] = key
	k[propValueField] = value
	return k
}

// PropOf reports whether k is a property cell's key, and its parts.
func PropOf(k *Key) (event, key, value string, ok bool) {
	if k[Hostname] != propMark {
		return "", "", "", false
	}
	return k[Event], k[propKeyField], k[propValueField], true
}

// countProps counts h's properties in their property cells: events and
// pageviews, and the visitor the first time today with each pair (s is the
// hit's visit, nil when it has none). Callers hold a.mu.
func (a *Aggregator) countProps(h *Hit, s *session, hour time.Time, pv bool) {
	for i, p := range h.Props {
		if i == MaxHitProps {
			break
		}
		if p.Key == "" || p.Value == "" {
			continue
		}
		key, value := a.boundProp(h, p)
		delta := Counters{Events: 1}
		if pv {
			delta.Pageviews = 1
		}
		if h.Visitor != 0 {
			a.markPropFirsts(h, s, key, value, &delta.Uniques)
		}
		k := PropCellKey(h.Key[Event], key, value)
		a.bump(h.Site, hour, &k, &delta)
	}
}

// markPropFirsts sets the property cell's visitor counters for the
// combinations new today, within the same per-site and per-visit bounds as
// markFirsts. Callers hold a.mu.
func (a *Aggregator) markPropFirsts(h *Hit, s *session, key, value string, u *[NumUniques]int64) {
	f := a.firsts
	zone := h.Zone
	if zone == nil {
		zone = time.UTC
	}
	visitor := siteVisitor(h.Site, h.Visitor) ^ mix(uint64(CivilDay(h.Time, zone)))
	kv := mix(f.valueHash(key)) ^ f.valueHash(value)
	for _, c := range []struct {
		un   Unique
		x    uint64
		slot Unique
	}{{uPropValue, kv, UVisitor}, {uPropEventValue, mix(kv ^ f.valueHash(h.Key[Event])), UniqueOf(Event)}} {
		if a.siteFirsts[h.Site] >= a.cfg.MaxFirsts/2 || (s != nil && s.firsts >= maxVisitFirsts) {
			f.full++
			continue
		}
		if f.add(combine(visitor, c.un, c.x, 0)) {
			u[c.slot] = 1
			a.siteFirsts[h.Site]++
			if s != nil {
				s.firsts++
			}
		}
	}
}

// boundProp folds a property key new to its site today past MaxPropKeys,
// and a value new to its (site, key) past Config.MaxPropValues, into Other.
// Callers hold a.mu.
func (a *Aggregator) boundProp(h *Hit, p Prop) (key, value string) {
	key, value = p.Key, p.Value
	if !a.seeValue(h.Site, propKeys{}, "", key, MaxPropKeys) {
		key = Other
	}
	if key == Other || !a.seeValue(h.Site, propKeys{key: key, values: true}, key, value, a.cfg.MaxPropValues) {
		value = Other
	}
	if key != p.Key || value != p.Value {
		a.propsOther.Add(1)
		a.logOther(siteHour{h.Site, h.Time.Unix() / 3600, false}, "property keys or values past the site's daily bound fold into "+Other)
	}
	return key, value
}

// propKeys names one count of distinct property strings a site added
// today: its keys, or the values of one key.
type propKeys struct {
	site   int64
	key    string
	values bool
}

// seeValue reports whether v may keep its own row: it was seen today under
// (site, scope), or is new and the count of scope is under max. Callers
// hold a.mu.
func (a *Aggregator) seeValue(site int64, c propKeys, scope, v string, max int) bool {
	f := &a.other
	e := mix(uint64(site)*0x9e3779b97f4a7c15^0x70726f70) ^ mix(a.firsts.valueHash(scope)) ^ a.firsts.valueHash(v)
	if !c.values {
		e = mix(e)
	}
	if e == 0 {
		e = 1
	}
	if f.seen.has(e) {
		return true
	}
	c.site = site
	if f.props == nil {
		f.props = map[propKeys]int32{}
	}
	if int(f.props[c]) < max && f.seen.add(e) {
		f.props[c]++
		return true
	}
	return false
}

// cleanProps returns props without keySep in any key or value (see Add), and
// at most MaxHitProps of them; props itself is not changed.
func cleanProps(props []Prop) []Prop {
	if len(props) > MaxHitProps {
		props = props[:MaxHitProps]
	}
	dirty := false
	for _, p := range props {
		dirty = dirty || strings.Contains(p.Key, keySep) || strings.Contains(p.Value, keySep)
	}
	if !dirty {
		return props
	}
	out := make([]Prop, len(props))
	for i, p := range props {
		out[i] = Prop{strings.ReplaceAll(p.Key, keySep, ""), strings.ReplaceAll(p.Value, keySep, "")}
	}
	return out
}

// PropMetric reports whether m is counted per property: events, pageviews
// and visitors (and percentage, a share of visitors) are; visits, bounces
// and durations are counted per visit, which has no properties. The
// dashboard asks it to know which headline numbers a property filter
// leaves.
func PropMetric(m Metric) bool {
	switch m {
	case Visitors, Events, Pageviews, Percentage:
		return true
	}
	return false
}

// usesProps reports whether q names a custom property: it is then answered
// from the property cells.
func usesProps(q *Query) bool {
	for _, d := range q.Dimensions {
		if d.Dim == PropValue || d.Dim == PropKey {
			return true
		}
	}
	for _, f := range q.Filters {
		if f.Dim == PropValue {
			return true
		}
	}
	return false
}

// planProps plans a query of property cells. They are counted per event,
// property key and value only, so such a query may name one property key,
// the event name and time, and ask for counts of events and visitors —
// not of visits, which are not counted per property.
func (p *Plan) planProps(grouped, filtered []Dim, hourly bool) error {
	q := p.q
	p.props = true
	allKeys := false
	for _, d := range q.Dimensions {
		allKeys = allKeys || d.Dim == PropKey
		if d.Grain == NoTime && d.Dim != PropValue && d.Dim != PropKey && d.Dim != Event {
			return fmt.Errorf("dimension %s cannot be combined with %s: properties are counted per event name only", d.Name, PropPrefix+"*")
		}
		if d.Dim == PropValue && d.Prop != "" {
			if p.prop != "" && p.prop != d.Prop {
				return fmt.Errorf("a query may name one property key (%s and %s)", p.prop, d.Prop)
			}
			p.prop = d.Prop
		}
	}
	for _, f := range q.Filters {
		if f.Dim != PropValue && f.Dim != Event {
			return fmt.Errorf("a filter on %s cannot be combined with %s: properties are counted per event name only", f.Dim, PropPrefix+"*")
		}
		if f.Dim == PropValue {
			if p.prop != "" && p.prop != f.Prop {
				return fmt.Errorf("a query may name one property key (%s and %s)", p.prop, f.Prop)
			}
			p.prop = f.Prop
		}
	}
	if allKeys && p.prop != "" {
		return fmt.Errorf("a breakdown by property key cannot name one key (%s)", p.prop)
	}
	if !allKeys && p.prop == "" {
		return fmt.Errorf("%s names no property", PropPrefix)
	}
	for _, m := range q.Metrics {
		if !PropMetric(m) {
			return fmt.Errorf("metric %s is not available with %s: properties count events and visitors, not visits", m, PropPrefix+"*")
		}
	}
	// visitors counts (visitor, key, value), v_event (visitor, event, key,
	// value): exact when the query names no event, or one event at a time.
	p.unique, p.exact = UVisitor, !hourly
	if slices.Contains(grouped, Event) || slices.Contains(filtered, Event) {
		p.unique = UniqueOf(Event)
	}
	return nil
}
