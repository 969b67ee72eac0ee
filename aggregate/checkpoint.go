package aggregate

import (
	"context"
	"fmt"
	"slices"
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
		a.writeMu.Lock()
		err := a.checkpoint(ctx, periodic)
		a.writeMu.Unlock()
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

// Checkpoint ends visits idle for longer than VisitGap, settles the others
// (their durations so far, their exits at their latest page: settle),
// takes the cells counted since the last checkpoint as a batch, and writes
// every batch not stored yet, oldest first.
func (a *Aggregator) Checkpoint(ctx context.Context) error {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	return a.checkpoint(ctx, current)
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
	dirty, takes := left || len(a.cells) > 0 || len(a.pending) > 0 || a.unsettled, a.takes
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
	return a.checkpoint(ctx, current)
}

// logMinCells is the fewest cells a checkpoint's debug line names.
const logMinCells = 100

// A checkpointKind says what a checkpoint does with the visits in progress.
type checkpointKind int

const (
	// periodic settles them every settleEvery (the checkpoint loop).
	periodic checkpointKind = iota
	// current settles them, so that the store is up to date with every
	// hit folded (Checkpoint, and Flush for queries).
	current
	// final ends them (shutdown: the session table does not survive a
	// restart, so neither do its visits).
	final
)

// settleEvery periodic checkpoints, one settles the visits in progress
// (settle): every 30 s at the default interval. A crash loses at most
// that much of their durations and exit moves (their sessions are lost
// with it anyway), and another instance's queries see this one's visits as
// of that long ago (their own settle first).
const settleEvery = 6

// checkpoint settles or ends the visits as kind says, then takes and
// writes a batch. Callers hold a.writeMu.
func (a *Aggregator) checkpoint(ctx context.Context, kind checkpointKind) error {
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
	settle := kind != periodic || now.Sub(a.settled) >= settleEvery*a.cfg.Checkpoint
	for v, s := range a.sessions {
		if kind == final || now.Sub(s.last) >= VisitGap {
			a.endVisit(v, s)
		} else if settle {
			a.settle(s)
		}
	}
	if settle {
		a.unsettled, a.settled = false, now
	}
	// Taken before anything is written, so that what the store cannot
	// take now waits as batches, which can spill.
	taken, first := a.takeLocked(settle)
	seal := a.sealLocked(first, len(taken))
	a.mu.Unlock()
	// Synced before any batch of the epoch is sent, so that a replay knows
	// these seqs are (or may be) stored.
	a.writeSeal(seal)
	a.jmu.Unlock()
	a.cutBatches(taken, first)
	a.mu.Lock()
	pending := a.pending
	a.mu.Unlock()

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

// takeLocked takes the cells counted so far and reserves the seqs of the
// batches they make: the batches join pending now, without their cells,
// which cutBatches fills in after the lock is released. Callers hold a.mu
// and a.writeMu (every reader of a batch's cells holds writeMu).
func (a *Aggregator) takeLocked(settled bool) (taken []*openCell, first uint64) {
	if settled {
		a.takes++
	}
	first = a.seq + 1
	if len(a.cells) == 0 {
		return nil, first
	}
	for n := 0; n < len(a.order); n += batchCells {
		a.seq++
		a.pending = append(a.pending, Batch{Instance: a.instance, Seq: a.seq})
	}
	a.pendingCells += len(a.cells)
	taken = a.order
	a.cells = make(map[cellID]*openCell, len(a.cells))
	a.order = make([]*openCell, 0, len(taken))
	return taken, first
}

// cutBatches fills the batches takeLocked reserved from first on with the
// taken cells, batchCells each, in the order of their ids (site, hour,
// then the dimension values in Key order), which is the embedded store's
// primary key: a batch then updates one stretch of its B-tree instead of
// pages all over it (a checkpoint of 250 000 cells under the churn load:
// 5.3–6.0 s instead of 7.8–8.7 s; docs/benchmarks.md, "Visits settle
// every 30 s, batches in key order"). A replay of the journal sorts the
// same way (epoch.batches). Sorting happens here, outside a.mu, which
// every hit waits for. Callers hold a.writeMu.
func (a *Aggregator) cutBatches(taken []*openCell, first uint64) {
	if len(taken) == 0 {
		return
	}
	slices.SortFunc(taken, func(x, y *openCell) int { return compareIDs(x.id, y.id) })
	cells := make([][]Cell, 0, (len(taken)+batchCells-1)/batchCells)
	for n := 0; n < len(taken); n += batchCells {
		chunk := taken[n:min(n+batchCells, len(taken))]
		b := make([]Cell, len(chunk))
		for i, c := range chunk {
			b[i] = Cell{Site: c.id.site(), Hour: time.Unix(c.id.hour(), 0).UTC(), Key: c.id.key(), Counters: c.Counters}
		}
		cells = append(cells, b)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.pending {
		if seq := a.pending[i].Seq; seq >= first && seq < first+uint64(len(cells)) {
			a.pending[i].Cells = cells[seq-first]
		}
	}
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
	err := a.checkpoint(ctx, final)
	if err != nil && a.journalCovers() {
		return fmt.Errorf("%w: %w", ErrKeptInJournal, err)
	}
	return err
}
