package aggregate

import (
	"context"
	"fmt"
	"time"
)

// Recover writes to the store what the journal segments of earlier runs
// hold — the counts a crash, or a shutdown that ran out of time, left
// unstored — and deletes each segment once its batches are stored. Call it
// before serving hits, so that queries see them from the start. A segment
// the store cannot take now stays, and the next checkpoint tries again.
//
// Each batch keeps the (instance, seq) its run gave it or would have given
// it, and stores skip a batch they hold: a segment whose batches were partly
// or wholly stored before the crash counts nothing twice.
func (a *Aggregator) Recover(ctx context.Context) error {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	return a.recoverJournal(ctx)
}

// recoverJournal replays the leftover segments, one at a time. Callers hold
// a.writeMu.
func (a *Aggregator) recoverJournal(ctx context.Context) error {
	if a.jr == nil {
		return nil
	}
	a.jmu.Lock()
	left := a.jr.leftover
	a.jmu.Unlock()
	for len(left) > 0 {
		if err := a.replaySegment(ctx, left[0]); err != nil {
			return err
		}
		left = left[1:]
		a.jmu.Lock()
		a.jr.leftover = left
		a.jmu.Unlock()
	}
	return nil
}

func (a *Aggregator) replaySegment(ctx context.Context, path string) error {
	start := time.Now()
	e, err := readSegment(path)
	if err != nil {
		return err
	}
	bs, ok := e.batches()
	if !ok {
		// Not what was sealed: the middle of the file is damaged. Its
		// batches would not match those stored, so writing them could
		// count cells twice; counts are lost instead, and said so.
		a.log.Error("journal segment does not match its seal; not replayed", "file", path,
			"cells", len(e.cells), "sealed_cells", e.seal.cells, "batches", len(bs), "sealed_batches", e.seal.batches)
		bs = nil
	}
	cells := 0
	for _, b := range bs {
		if err := a.store.WriteBatch(ctx, b); err != nil {
			return fmt.Errorf("replay journal %s/%d (%d cells): %w", b.Instance, b.Seq, len(b.Cells), err)
		}
		cells += len(b.Cells)
	}
	if err := removeSegment(a.jr.dir, path); err != nil {
		return err
	}
	a.log.Info("replayed a journal segment left by an earlier run", "instance", e.instance, "first_seq", e.first,
		"sealed", e.seal != nil, "torn_tail", e.torn, "batches", len(bs), "cells", cells,
		"took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// journalLeft reports whether segments of earlier runs wait for a replay.
func (a *Aggregator) journalLeft() bool {
	if a.jr == nil {
		return false
	}
	a.jmu.Lock()
	defer a.jmu.Unlock()
	return len(a.jr.leftover) > 0
}
