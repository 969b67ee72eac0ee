package aggregate

import (
	"context"
	"time"
)

// snapshot folds queued hits, then calls fn for each open cell of the site
// in [from, to) and returns their ids: the store's rows of this instance for
// those cells are older copies of them. Without sketches (a query that does
// not count visitors) the cells come without theirs: copying them is most
// of the work, done while folding waits.
func (a *Aggregator) snapshot(ctx context.Context, site int64, from, to time.Time, sketches bool, fn func(*Cell) error) (map[cellID]bool, error) {
	if err := a.Sync(ctx); err != nil {
		return nil, err
	}
	a.mu.Lock()
	open := map[cellID]bool{}
	lo, hi := from.Unix(), to.Unix()
	var c Cell
	for id, oc := range a.cells {
		if id.site() != site || id.hour() < lo || id.hour() >= hi {
			continue
		}
		open[id] = true
		c = Cell{Instance: a.instance, Site: site, Hour: time.Unix(id.hour(), 0).UTC(), Key: id.key(), Counters: oc.Counters}
		if sketches {
			c.Sketch = oc.sketchCopy()
		}
		if err := fn(&c); err != nil {
			a.mu.Unlock()
			return nil, err
		}
	}
	a.mu.Unlock()
	// Outside a.mu: a replay holds the spill file while it writes.
	if err := a.spilledCells(site, from, to, open, fn); err != nil {
		return nil, err
	}
	return open, nil
}

// snapshotRollups is snapshot for the open rollups of one dimension and the
// days from through to.
func (a *Aggregator) snapshotRollups(ctx context.Context, site int64, dim Dim, from, to time.Time, sketches bool, fn func(*Rollup) error) (map[rollupID]bool, error) {
	if err := a.Sync(ctx); err != nil {
		return nil, err
	}
	a.mu.Lock()
	open := map[rollupID]bool{}
	lo, hi := from.Unix(), to.Unix()
	var r Rollup
	for id, oc := range a.rollups {
		if id.site != site || id.dim != dim || id.day < lo || id.day > hi {
			continue
		}
		open[id] = true
		r = Rollup{Instance: a.instance, Site: site, Day: time.Unix(id.day, 0).UTC(), Dim: dim, Value: id.value, Counters: oc.Counters}
		if sketches {
			r.Sketch = oc.sketchCopy()
		}
		if err := fn(&r); err != nil {
			a.mu.Unlock()
			return nil, err
		}
	}
	a.mu.Unlock()
	if err := a.spilledRollups(site, dim, from, to, open, fn); err != nil {
		return nil, err
	}
	return open, nil
}
