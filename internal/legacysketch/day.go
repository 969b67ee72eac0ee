package legacysketch

import (
	"time"

	"tally/aggregate"
)

// Day gathers one site-day of legacy cells for the conversion both stores
// run: their counters, summed per key and hour over the instances that
// wrote them, and their sketches, merged per dimension value (exit cells:
// per exit page) and for the day's totals.
type Day struct {
	Site  int64
	Day   int64     // the site's civil day, days since 1970-01-01
	First time.Time // the day's first hour, where the visitors cells go

	counts   map[aggregate.Key]*aggregate.Cell
	sketches map[value]*Sketch
}

type value struct {
	dim   aggregate.Dim // -1: the day's totals
	value string
}

// Add takes one legacy cell and its sketch (nil: none, or unreadable).
func (d *Day) Add(c *aggregate.Cell, sk *Sketch) {
	if d.counts == nil {
		d.counts, d.sketches = map[aggregate.Key]*aggregate.Cell{}, map[value]*Sketch{}
	}
	// Cells of one key and hour from several instances add up; a key's
	// hours stay apart.
	k := c.Key
	id := k
	id[aggregate.ExitPage] += "\x00" + c.Hour.Format(time.RFC3339)
	if have := d.counts[id]; have != nil {
		have.Counters.Add(&c.Counters)
	} else {
		cc := *c
		d.counts[id] = &cc
	}
	if sk == nil {
		return
	}
	merge := func(v value) {
		if have := d.sketches[v]; have != nil {
			have.Merge(sk)
		} else {
			d.sketches[v] = sk.Clone()
		}
	}
	if k[aggregate.ExitPage] != "" {
		merge(value{aggregate.ExitPage, k[aggregate.ExitPage]})
		return
	}
	merge(value{-1, ""})
	for dim := aggregate.Dim(0); int(dim) < aggregate.NumDims; dim++ {
		if dim != aggregate.ExitPage {
			merge(value{dim, k[dim]})
		}
	}
}

// Cells returns the day's counters, and one cell per estimate that holds
// only its value and that value's unique counter, at the day's first hour.
// A converted day so answers its totals and breakdowns by one dimension as
// the sketches did; nothing of the sketches remains.
func (d *Day) Cells() []aggregate.Cell {
	out := make([]aggregate.Cell, 0, len(d.counts)+len(d.sketches))
	for _, c := range d.counts {
		out = append(out, *c)
	}
	for v, sk := range d.sketches {
		c := aggregate.Cell{Site: d.Site, Hour: d.First}
		if v.dim < 0 {
			c.Uniques[aggregate.UVisitor] = sk.Estimate()
		} else {
			c.Key[v.dim] = v.value
			c.Uniques[aggregate.UniqueOf(v.dim)] = sk.Estimate()
		}
		out = append(out, c)
	}
	return out
}
