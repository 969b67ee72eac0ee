package aggregate

import (
	"context"
	"fmt"
	"time"
)

// checkpointLoop checkpoints every cfg.Checkpoint. While the store fails,
// the wait doubles up to cfg.MaxBackoff, unwritten cells stay in memory, and
// past cfg.SpillCells the oldest closed hours spill to disk; the first
// checkpoint that reaches the store again replays the spill file.
func (a *Aggregator) checkpointLoop() {
	defer a.wg.Done()
	wait := a.cfg.Checkpoint
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-a.done:
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Checkpoint*4)
		start := time.Now()
		err := a.Checkpoint(ctx)
		cancel()
		if a.cfg.OnCheckpoint != nil {
			a.cfg.OnCheckpoint(time.Since(start), err)
		}
		wait = a.afterCheckpoint(err, wait)
		t.Reset(wait)
	}
}

// afterCheckpoint records how a periodic checkpoint ended, logs a line when
// the store is lost or back, spills if memory holds too much, and returns
// the wait before the next checkpoint.
func (a *Aggregator) afterCheckpoint(err error, wait time.Duration) time.Duration {
	if err == nil {
		if n := a.failing.Swap(0); n > 0 {
			since := time.Unix(0, a.failingSince.Swap(0))
			a.log.Info("checkpoint succeeded again; store reachable", "failed_attempts", n,
				"outage", time.Since(since).Round(time.Second).String())
		}
		return a.cfg.Checkpoint
	}
	n := a.failing.Add(1)
	if n == 1 {
		a.failingSince.Store(time.Now().UnixNano())
		wait = a.cfg.Checkpoint
	}
	wait = min(wait*2, a.cfg.MaxBackoff)
	st := a.Stats()
	a.log.Warn("checkpoint failed; cells stay in memory and are retried", "err", err,
		"attempt", n, "retry_in", wait.String(), "in_memory", st.OpenCells, "spilled", st.Spilled)
	a.writeMu.Lock()
	serr := a.spillOver()
	a.writeMu.Unlock()
	if serr != nil {
		a.log.Error("spill to disk failed; closed hours stay in memory", "err", serr)
	}
	return wait
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
	// Spilled hours first: they are older than anything in memory.
	if err := a.replaySpill(ctx); err != nil {
		a.ckptFail.Add(1)
		return err
	}
	// Hits answered before the checkpoint are in it: Sync goes through the
	// folding goroutine, which may hold a hit it took off the queue but has
	// not applied yet; draining under the lock alone would miss that one.
	if err := a.Sync(ctx); err != nil {
		return err
	}
	a.mu.Lock()
	a.drainLocked()
	now := a.now()
	a.clock = now
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
			Sketch:   r.sketchCopy(),
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
			Site:     id.site(),
			Hour:     time.Unix(id.hour(), 0).UTC(),
			Key:      id.key(),
			Counters: c.Counters,
			Sketch:   c.sketchCopy(),
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
	a.forgetWrittenLocked(a.floor(a.now()))
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
