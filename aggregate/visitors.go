package aggregate

import (
	"slices"
	"time"
)

// dayVisitors is what the rows of one group and one day say about its
// visitors: the metric is the estimate of the union of their sketches.
// Stored rollups arrive first without their sketch (bare), carrying the
// estimate stored with them; a day with a single bare row, and nothing
// else, is that row's estimate and never needs its sketch.
type dayVisitors struct {
	sketch *Sketch   // the union of the sketches in hand
	bare   []bareRow // stored rows whose sketch is not in hand yet
}

// bareRow names a stored rollup row read without its sketch.
type bareRow struct {
	instance, value string
	day             int64 // Unix seconds of the row's civil date at midnight UTC
	est             int64 // its stored estimate; -1: unknown
}

// day returns the group's visitors of the local day, made if missing.
func (g *group) day(local time.Time) *dayVisitors {
	key := local.Format(time.DateOnly)
	d := g.days[key]
	if d == nil {
		d = &dayVisitors{}
		g.days[key] = d
	}
	return d
}

// merge adds a sketch of the engine's own (stores decode a new one per row,
// snapshots clone): the first one is kept and the others merge into it.
func (d *dayVisitors) merge(s *Sketch) {
	if d.sketch == nil {
		d.sketch = s
	} else {
		d.sketch.Merge(s)
	}
}

// single reports whether the day's estimate is its one bare row's.
func (d *dayVisitors) single() bool { return d.sketch == nil && len(d.bare) == 1 && d.bare[0].est >= 0 }

// complete reports whether the day's estimate can be had without reading
// sketches.
func (d *dayVisitors) complete() bool { return len(d.bare) == 0 || d.single() }

// estimate is the day's visitors. The stored estimate is Sketch.Estimate of
// the same sketch, so it equals what estimating the decoded sketch gives.
func (d *dayVisitors) estimate() int64 {
	if d.single() {
		return d.bare[0].est
	}
	return d.sketch.Estimate()
}

// addBare counts a stored rollup read without its sketch.
func (r *run) addBare(ro *Rollup) {
	c := ro.asCell(r.loc)
	local := c.Hour.In(r.loc)
	g := r.addCounters(&c, local)
	// An estimate of 0 is an empty sketch (one key already estimates 1),
	// which adds nothing to a union.
	if g == nil || !r.needSketch || ro.Visitors == 0 {
		return
	}
	d := g.day(local)
	d.bare = append(d.bare, bareRow{instance: ro.Instance, value: ro.Value, day: ro.Day.Unix(), est: ro.Visitors})
}

// sketchDays returns the spans of days (first and last, inclusive) holding
// a group's day that cannot be estimated without its rows' sketches.
func (r *run) sketchDays() [][2]time.Time {
	var days []int64
	for _, g := range r.groups {
		for _, d := range g.days {
			if !d.complete() {
				for _, b := range d.bare {
					days = append(days, b.day)
				}
			}
		}
	}
	slices.Sort(days)
	days = slices.Compact(days)
	var spans [][2]time.Time
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1]-days[j] <= 24*3600 {
			j++
		}
		spans = append(spans, [2]time.Time{time.Unix(days[i], 0).UTC(), time.Unix(days[j], 0).UTC()})
		i = j + 1
	}
	return spans
}

// fill merges the sketch of a stored row into its group's day, if that day
// needs sketches and the row is one it read bare.
func (r *run) fill(ro *Rollup) {
	c := ro.asCell(r.loc)
	local := c.Hour.In(r.loc)
	g := r.group(&c, local, false)
	if g == nil {
		return
	}
	d := g.days[local.Format(time.DateOnly)]
	if d == nil || d.complete() {
		return
	}
	for i, b := range d.bare {
		if b.instance == ro.Instance && b.value == ro.Value {
			if ro.Sketch != nil {
				d.merge(ro.Sketch)
			}
			d.bare = slices.Delete(d.bare, i, i+1)
			return
		}
	}
}
