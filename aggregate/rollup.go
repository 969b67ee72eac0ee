package aggregate

import "time"

// Totals is the pseudo-dimension of the totals rollup: one row per site and
// day holding everything the site counted that day.
const Totals = Dim(NumDims)

// Rollup is the aggregate of one site, one day in the site's time zone, one
// dimension and one value of it, as one instance saw it: the same counters
// and sketch as the sum of the day's cells with that value. The unfiltered
// dashboard reads rollups — at most days × values rows — instead of every
// cell of the range. Stores keep one row per (Instance, Site, Day, Dim,
// Value) and replace it on every checkpoint, as they do cells.
type Rollup struct {
	Instance string
	Site     int64
	Day      time.Time // the civil date, as midnight UTC
	Dim      Dim       // a dimension, or Totals
	Value    string
	Counters
	Sketch *Sketch
	// Visitors is the row's stored visitors estimate, as read from a store:
	// Sketch.Estimate of the row's sketch, computed by the store when the
	// row was written, or -1 for rows written before stores kept it. A
	// query that finds one row for a (day, value) sums this instead of
	// reading and estimating the sketch. It means nothing on rollups handed
	// to WriteRollups (stores compute it from Sketch) or taken from memory.
	Visitors int64
}

type rollupID struct {
	site  int64
	day   int64 // Unix seconds of the civil date at midnight UTC
	dim   Dim
	value string
}

// civilDay returns the date of hour in zone, as Unix seconds of that date's
// midnight UTC. A UTC hour belongs to the local day it starts in.
func civilDay(hour time.Time, zone *time.Location) int64 {
	t := hour.In(zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix()
}

// dayEnd is the instant a rollup's day ends in zone.
func dayEnd(day int64, zone *time.Location) time.Time {
	t := time.Unix(day, 0).UTC()
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, zone)
}

// rollupDim says whether q can be answered from day rollups, and from
// which: at most one non-time dimension (none: the totals), time grains no
// finer than a day, and filters only on that same dimension.
func rollupDim(q *Query) (Dim, bool) {
	d := Totals
	for _, dim := range q.Dimensions {
		switch dim.Grain {
		case NoTime:
			if d != Totals {
				return 0, false
			}
			d = dim.Dim
		case ByDay, ByWeek, ByMonth, ByDayOfWeek:
		default:
			return 0, false
		}
	}
	for _, f := range q.Filters {
		if f.Dim != d {
			return 0, false
		}
	}
	return d, true
}

// asCell presents a rollup to the engine as a cell of its day: the key holds
// only the rollup's value, the hour is the local midnight of its day.
func (r *Rollup) asCell(loc *time.Location) Cell {
	c := Cell{
		Instance: r.Instance,
		Site:     r.Site,
		Hour:     time.Date(r.Day.Year(), r.Day.Month(), r.Day.Day(), 0, 0, 0, 0, loc),
		Counters: r.Counters,
		Sketch:   r.Sketch,
	}
	if r.Dim != Totals {
		c.Key[r.Dim] = r.Value
	}
	return c
}
