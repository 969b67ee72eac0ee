package aggregate

import (
	"context"
	"fmt"
	"time"
)

// checkpointLoop checkpoints every cfg.Checkpoint. While the store fails,
// the wait doubles up to cfg.MaxBackoff, unwritten batches stay in memory,
// and past cfg.SpillCells the oldest spill to disk; the first checkpoint
// that reaches the store again replays the spill file.
func (a *Aggregator) checkpointLoop() {
	defer a.wg.Done()
	wait := a.cfg.Checkpoint
	t := time.NewTimer(wait)
	defer t.Stop()
	// Close cancels a checkpoint in progress: the final one needs writeMu,
	// and a shutdown has seconds, not a periodic checkpoint's timeout.
	base, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		select {
		case <-a.done:
			stop()
		case <-base.Done():
		}
	}()
	for {
		select {
		case <-t.C:
		case <-a.done:
			return
		}
		// Catching up after an outage writes many batches: each attempt
		// keeps what it stored, but needs time for at least a few.
		ctx, cancel := context.WithTimeout(base, max(a.cfg.Checkpoint*4, 10*time.Second))
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
	a.log.Warn("checkpoint failed; its cells stay in memory and are retried", "err", err,
		"attempt", n, "retry_in", wait.String(), "in_memory", st.OpenCells, "spilled", st.Spilled)
	a.writeMu.Lock()
	serr := a.spillOver()
	a.writeMu.Unlock()
	if serr != nil {
		a.log.Error("spill to disk failed; the batches stay in memory", "err", serr)
	}
	return wait
}

// Checkpoint ends visits idle for longer than VisitGap, counts the exits of
// the others at their latest page (moveExit), takes the cells
// counted since the last checkpoint as a batch, and writes every batch not
// stored yet, oldest first.
func (a *Aggregator) Checkpoint(ctx context.Context) error {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	return a.checkpoint(ctx, false)
}

// Flush is Checkpoint when anything is counted but not stored; queries call
// it so that they see every hit answered before they began. The queries of
// one dashboard page arrive together: those that wait while another's
// checkpoint runs are served by it when it took their hits.
func (a *Aggregator) Flush(ctx context.Context) error {
	if err := a.Sync(ctx); err != nil {
		return err
	}
	left := a.journalLeft()
	a.mu.Lock()
	dirty, takes := left || len(a.cells) > 0 || len(a.pending) > 0, a.takes
	a.mu.Unlock()
	if !dirty {
		return nil
	}
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	a.mu.Lock()
	served := a.takes > takes && len(a.pending) == 0
	a.mu.Unlock()
	if served && !a.journalLeft() {
		return nil
	}
	return a.checkpoint(ctx, false)
}

// logMinCells is the fewest cells a checkpoint's debug line names.
const logMinCells = 100

// checkpoint takes and writes a batch; endAll ends every visit first
// (shutdown: the session table does not survive a restart, so neither do
// its visits). Callers hold a.writeMu.
func (a *Aggregator) checkpoint(ctx context.Context, endAll bool) error {
	start := time.Now()
	// Hits answered before the checkpoint are in it: Sync goes through the
	// folding goroutine, which may hold a hit it took off the queue but has
	// not applied yet; draining under the lock alone would miss that one.
	if err := a.Sync(ctx); err != nil {
		return err
	}
	a.jmu.Lock() // the epoch's last records and seal go before any of the next
	a.mu.Lock()
	a.drainLocked()
	now := a.now()
	a.rollDay(now)
	for v, s := range a.sessions {
		if endAll || now.Sub(s.last) >= VisitGap {
			a.endVisit(v, s)
		} else {
			a.moveExit(s)
		}
	}
	// Taken before anything is written, so that what the store cannot
	// take now waits as batches, which can spill.
	first, taken := a.seq+1, len(a.cells)
	a.takeLocked()
	seal := a.sealLocked(first, taken)
	pending := a.pending
	a.mu.Unlock()
	// Synced before any batch of the epoch is sent, so that a replay knows
	// these seqs are (or may be) stored.
	a.writeSeal(seal)
	a.jmu.Unlock()

	// Spilled batches first (counts add up in any order; this keeps the
	// file short-lived).
	if err := a.replaySpill(ctx); err != nil {
		a.ckptFail.Add(1)
		return err
	}
	if err := a.recoverJournal(ctx); err != nil {
		a.ckptFail.Add(1)
		return err
	}
	written, cells := 0, 0
	for _, b := range pending {
		if err := a.store.WriteBatch(ctx, b); err != nil {
			a.ckptFail.Add(1)
			a.dropPending(written)
			return fmt.Errorf("write checkpoint %d (%d cells): %w", b.Seq, len(b.Cells), err)
		}
		written++
		cells += len(b.Cells)
	}
	a.dropPending(written)
	// A line per checkpoint would time a small site's visitors (cells=1:
	// someone arrived in the last few seconds), so only checkpoints of at
	// least logMinCells cells are logged; the checkpoint histogram of the
	// metrics times them all.
	if cells >= logMinCells {
		a.log.Debug("checkpoint", "batches", written, "cells", cells, "took", time.Since(start))
	}
	return nil
}

// takeLocked moves the cells counted so far into a new pending batch.
// Callers hold a.mu.
func (a *Aggregator) takeLocked() {
	a.takes++
	if len(a.cells) == 0 {
		return
	}
	// Batches of at most batchCells: each is one insert that must finish
	// within a checkpoint's time, also after an outage, when much waits.
	// Cut in the order the cells opened, which is the order they first
	// appear in the journal: a replay cuts the same batches.
	var b *Batch
	for _, c := range a.order {
		id := c.id
		if b == nil || len(b.Cells) == batchCells {
			a.seq++
			a.pending = append(a.pending, Batch{Instance: a.instance, Seq: a.seq,
				Cells: make([]Cell, 0, min(batchCells, len(a.cells)))})
			b = &a.pending[len(a.pending)-1]
		}
		b.Cells = append(b.Cells, Cell{Site: id.site(), Hour: time.Unix(id.hour(), 0).UTC(), Key: id.key(), Counters: c.Counters})
	}
	a.pendingCells += len(a.cells)
	a.cells = make(map[cellID]*openCell, len(a.cells))
	clear(a.order)
	a.order = a.order[:0]
}

// batchCells is the most cells one batch holds.
const batchCells = 5000

// dropPending forgets the first n pending batches: they are stored (or
// spilled). Callers hold a.writeMu.
func (a *Aggregator) dropPending(n int) {
	if n == 0 {
		return
	}
	a.mu.Lock()
	for _, b := range a.pending[:n] {
		a.pendingCells -= len(b.Cells)
		for _, c := range b.Cells {
			if a.other.cells[c.Site]--; a.other.cells[c.Site] <= 0 {
				delete(a.other.cells, c.Site)
			}
		}
	}
	a.pending = append([]Batch(nil), a.pending[n:]...)
	oldest := a.oldestPendingLocked()
	a.mu.Unlock()
	a.releaseSegments(oldest)
}

// Close stops taking hits, folds those queued, ends every visit and writes
// the final checkpoint. The aggregator is unusable afterwards. If ctx ends
// before the store has every batch but the journal holds them all, the
// error wraps ErrKeptInJournal: nothing is lost, the next start replays them.
func (a *Aggregator) Close(ctx context.Context) error {
	close(a.done)
	a.wg.Wait()
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	// Before the final checkpoint ends the visits: the realtime view's
	// snapshot is of the visitors still current.
	if err := a.saveLive(); err != nil {
		a.log.Warn("realtime view not kept for the next start", "err", err)
	}
	err := a.checkpoint(ctx, true)
	if err != nil && a.journalCovers() {
		return fmt.Errorf("%w: %w", ErrKeptInJournal, err)
	}
	return err
}
