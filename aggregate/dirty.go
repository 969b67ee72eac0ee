package aggregate

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// This file is the aggregator's side of the cell journal (journal.go): which
// cells changed since the last write, the group commit every Config.Journal,
// the seal at each checkpoint's take, and deleting segments the store holds.

// journal is the state of the cell journal; guarded by Aggregator.jmu.
type journal struct {
	off   bool // Config.Journal is 0: only leftovers of earlier runs are replayed
	dir   string
	every time.Duration
	cur   *segment // the current epoch's file; nil until its first record
	first uint64   // the current epoch's first seq: its batches will be first, first+1, …
	// sealed are this run's sealed segments whose batches are not all
	// stored or spilled yet, oldest first.
	sealed []sealedSegment
	// brokenTo is the last seq of the latest epoch whose segment could not
	// be written (and was given up): those batches are in memory only.
	brokenTo uint64
	// leftover are segments of earlier runs not replayed yet (recover.go);
	// replayed counts the batches of each that this run stored already
	// (under Aggregator.writeMu), so a replay cut short goes on from there.
	leftover []string
	replayed map[string]int
	entries  []journalEntry // scratch: cells copied under mu, written after
	buf      []byte         // scratch: encoded records
}

type sealedSegment struct {
	path string
	last uint64 // the seq of the epoch's last batch
}

// journalEntry is a cell's counters at the moment they were copied.
type journalEntry struct {
	id cellID
	c  Counters
}

// ErrKeptInJournal says that the final checkpoint did not reach the store
// but lost nothing: the journal holds every count and the next start
// replays it.
var ErrKeptInJournal = errors.New("counts kept in the journal for the next start")

// startJournal turns the journal on when Config.Journal and SpillDir are
// set. Called by New before any hit is folded. With the journal off, the
// segments an earlier run left are still replayed.
func (a *Aggregator) startJournal() {
	if a.cfg.SpillDir == "" {
		return
	}
	dir := filepath.Join(a.cfg.SpillDir, JournalDir)
	if a.cfg.Journal <= 0 {
		if names, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt)); len(names) > 0 {
			a.jr = &journal{off: true, dir: dir, leftover: names}
		}
		return
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		a.log.Error("cell journal off: cannot create its folder; a crash loses counts since the last checkpoint", "err", err)
		return
	}
	names, err := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if err != nil {
		a.log.Error("cell journal off: cannot list its folder", "err", err)
		return
	}
	a.jr = &journal{dir: dir, every: a.cfg.Journal, first: a.seq + 1, leftover: names}
	// Tick 0 is "no journal": cells never join the dirty list then.
	a.tick = 1
	a.wg.Add(1)
	go a.journalLoop()
}

// newCell opens the cell of the id in a.idBuf. Callers hold a.mu.
func (a *Aggregator) newCell() *openCell {
	id := cellID(a.idBuf) // the map key and the journal's name for it: one copy
	c := &openCell{id: id}
	a.cells[id] = c
	a.order = append(a.order, c)
	return c
}

// touch puts c on the list of cells the next journal write must carry: one
// comparison for a cell on it already. Callers hold a.mu.
func (a *Aggregator) touch(c *openCell) {
	if c.tick != a.tick {
		c.tick = a.tick
		a.dirty = append(a.dirty, c)
	}
}

// copyDirtyLocked copies the counters of the dirty cells and empties the
// list, so that they are encoded and synced without holding a.mu. Callers
// hold a.jmu and a.mu.
func (a *Aggregator) copyDirtyLocked() {
	j := a.jr
	// Sized at once: this runs under a.mu, which every hit waits for.
	j.entries = slices.Grow(j.entries[:0], len(a.dirty))
	for _, c := range a.dirty {
		j.entries = append(j.entries, journalEntry{id: c.id, c: c.Counters})
	}
	clear(a.dirty)
	a.dirty = a.dirty[:0]
	a.tick++
}

// journalLoop is the group commit: every Config.Journal it writes the cells
// changed since the last write, with one sync for all of them.
func (a *Aggregator) journalLoop() {
	defer a.wg.Done()
	t := time.NewTicker(a.jr.every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-a.done:
			return // Close seals what is left
		}
		a.jmu.Lock()
		a.mu.Lock()
		a.copyDirtyLocked()
		a.mu.Unlock()
		a.writeEntries(nil)
		a.jmu.Unlock()
	}
}

// writeEntries appends the copied cells (and the seal, if given) to the
// current epoch's segment and syncs it. A segment that cannot be written is
// given up whole: replaying part of an epoch could count a cell again that
// a stored batch holds. Callers hold a.jmu.
func (a *Aggregator) writeEntries(s *seal) error {
	j := a.jr
	if len(j.entries) == 0 && (s == nil || j.cur == nil) {
		return nil
	}
	if j.cur == nil {
		if j.first == 0 {
			return nil // the epoch's segment was given up
		}
		seg, err := createSegment(j.dir, a.instance, j.first)
		if err != nil {
			return a.giveUpSegment(err)
		}
		j.cur = seg
	}
	j.buf = j.buf[:0]
	for i := range j.entries {
		j.buf = appendCellRecord(j.buf, j.entries[i].id, &j.entries[i].c)
	}
	if s != nil {
		j.buf = appendSealRecord(j.buf, *s)
	}
	if cap(j.buf) > 64<<20 {
		defer func() { j.buf = nil }() // a flood's burst: do not keep its buffer
	}
	if cap(j.entries) > 1<<16 {
		j.entries = nil // nor the copies of its counters
	}
	if err := j.cur.write(j.buf); err != nil {
		return a.giveUpSegment(err)
	}
	a.journalSyncs.Add(1)
	a.journalBytes.Add(uint64(len(j.buf)))
	return nil
}

// giveUpSegment removes the current epoch's segment after a failed write;
// the epoch's counts are then in memory only, as without a journal.
func (a *Aggregator) giveUpSegment(err error) error {
	j := a.jr
	if j.cur != nil {
		if rerr := j.cur.remove(j.dir); rerr != nil {
			err = errors.Join(err, rerr)
		}
		j.cur = nil
	}
	j.first = 0 // no more records for this epoch; the seal sets the next
	a.journalFailures.Add(1)
	a.log.Error("cell journal write failed; until the next checkpoint stores them, a crash loses this interval's counts", "err", err)
	return err
}

// sealLocked ends the epoch at a checkpoint's take: the cells not written
// yet are copied, and the batches first..a.seq that takeLocked made are
// described. Callers hold a.jmu and a.mu, and call writeSeal next.
func (a *Aggregator) sealLocked(first uint64, cells int) *seal {
	if a.jr == nil || a.jr.off {
		return nil
	}
	a.copyDirtyLocked()
	if a.seq < first {
		return nil // nothing was taken: the epoch goes on
	}
	return &seal{first: first, batches: a.seq - first + 1, chunk: batchCells, cells: uint64(cells), idOrder: true}
}

// writeSeal writes the epoch's last cells and its seal and syncs them,
// before any of its batches is sent; then the next epoch begins. Callers
// hold a.jmu.
func (a *Aggregator) writeSeal(s *seal) {
	j := a.jr
	if j == nil || s == nil {
		return
	}
	if j.first != s.first || a.writeEntries(s) != nil || j.cur == nil {
		j.brokenTo = s.first + s.batches - 1
	} else {
		if err := j.cur.close(); err != nil {
			a.log.Warn("close journal segment", "err", err)
		}
		j.sealed = append(j.sealed, sealedSegment{path: j.cur.path, last: s.first + s.batches - 1})
	}
	j.cur, j.first = nil, s.first+s.batches
}

// releaseSegments deletes the sealed segments whose batches are all stored
// or spilled: oldest is the seq of the oldest batch still in memory.
// Callers hold a.writeMu.
func (a *Aggregator) releaseSegments(oldest uint64) {
	if a.jr == nil || a.jr.off {
		return
	}
	a.jmu.Lock()
	defer a.jmu.Unlock()
	j := a.jr
	n := 0
	for ; n < len(j.sealed) && j.sealed[n].last < oldest; n++ {
		if err := os.Remove(j.sealed[n].path); err != nil && !errors.Is(err, os.ErrNotExist) {
			a.log.Warn("remove stored journal segment", "err", err)
		}
	}
	j.sealed = append(j.sealed[:0], j.sealed[n:]...)
}

// oldestPendingLocked is the seq of the oldest batch in memory, or the
// largest seq when none waits. Callers hold a.mu.
func (a *Aggregator) oldestPendingLocked() uint64 {
	if len(a.pending) == 0 {
		return math.MaxUint64
	}
	return a.pending[0].Seq
}

// journalCovers reports whether every batch in memory is also in a sealed
// segment, so that exiting now loses nothing. Callers hold a.writeMu.
func (a *Aggregator) journalCovers() bool {
	if a.jr == nil || a.jr.off {
		return false
	}
	a.jmu.Lock()
	defer a.jmu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.cells) == 0 && a.oldestPendingLocked() > a.jr.brokenTo
}
