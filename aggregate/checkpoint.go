package aggregate

import (
	"context"
	"fmt"
	"time"
)

func (a *Aggregator) checkpointLoop() {
	defer a.wg.Done()
	t := time.NewTicker(a.cfg.Checkpoint)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Checkpoint*4)
			if err := a.Checkpoint(ctx); err != nil {
				a.log.Warn("checkpoint failed; cells stay in memory and are retried", "err", err)
			}
			cancel()
		case <-a.done:
			return
		}
	}
}

// Checkpoint ends visits idle for longer than VisitGap, writes every changed
// open cell to the store, and then forgets closed hours that are fully written.
func (a *Aggregator) Checkpoint(ctx context.Context) error {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	return a.checkpoint(ctx, false)
}

// checkpoint writes changed cells; endAll ends every visit first (shutdown:
// the session table does not survive a restart, so neither do its visits).
// Callers hold a.writeMu.
func (a *Aggregator) checkpoint(ctx context.Context, endAll bool) error {
	start := time.Now()
	a.mu.Lock()
	a.drainLocked() // hits answered before the checkpoint are in it
	now := a.now()
	for v, s := range a.sessions {
		if endAll || now.Sub(s.last) >= VisitGap {
			a.endVisit(v, s)
		}
	}
	var batch []Cell
	var versions []uint64
	var ids []cellID
	var rbatch []Rollup
	var rversions []uint64
	var rids []rollupID
	for id, r := range a.rollups {
		if r.version == r.written {
			continue
		}
		rbatch = append(rbatch, Rollup{
			Instance: a.instance,
			Site:     id.site,
			Day:      time.Unix(id.day, 0).UTC(),
			Dim:      id.dim,
			Value:    id.value,
			Counters: r.Counters,
			Sketch:   r.sketch.Clone(),
		})
		rversions = append(rversions, r.version)
		rids = append(rids, id)
	}
	for id, c := range a.cells {
		if c.version == c.written {
			continue
		}
		batch = append(batch, Cell{
			Instance: a.instance,
			Site:     id.site,
			Hour:     time.Unix(id.hour, 0).UTC(),
			Key:      id.key,
			Counters: c.Counters,
			Sketch:   c.sketch.Clone(),
		})
		versions = append(versions, c.version)
		ids = append(ids, id)
	}
	a.mu.Unlock()

	if err := a.store.WriteCells(ctx, batch); err != nil {
		a.ckptFail.Add(1)
		return fmt.Errorf("write %d cells: %w", len(batch), err)
	}
	if err := a.store.WriteRollups(ctx, rbatch); err != nil {
		a.ckptFail.Add(1)
		return fmt.Errorf("write %d rollups: %w", len(rbatch), err)
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	for i, id := range ids {
		if c := a.cells[id]; c != nil {
			c.written = versions[i]
		}
	}
	for i, id := range rids {
		if r := a.rollups[id]; r != nil {
			r.written = rversions[i]
		}
	}
	floor := a.floor()
	for id, c := range a.cells {
		if id.hour < floor.Unix() && c.version == c.written {
			delete(a.cells, id)
		}
	}
	// A rollup stays open while any hour of its day can still be touched.
	for id, r := range a.rollups {
		if r.version == r.written && !dayEnd(id.day, a.zone(id.site)).After(floor) {
			delete(a.rollups, id)
		}
	}
	if len(batch) > 0 {
		a.log.Debug("checkpoint", "cells", len(batch), "rollups", len(rbatch), "took", time.Since(start))
	}
	return nil
}

// Close stops taking hits, folds those queued, ends every visit and writes
// the final checkpoint. The aggregator is unusable afterwards.
func (a *Aggregator) Close(ctx context.Context) error {
	close(a.done)
	a.wg.Wait()
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	return a.checkpoint(ctx, true)
}
