package aggregate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// SpillFile is the name of the spill file under Config.SpillDir.
const SpillFile = "spill.jsonl"

// spill is the local file that holds checkpoints the store could not take
// while too many waited in memory. It holds aggregates only — the same
// counters a checkpoint sends to the store, never a visitor key, an IP
// address or a user agent — one JSON record a line, so a torn last line
// after a crash costs that line and nothing else. Each record names its
// batch (instance, seq), and stores write a batch at most once, so replaying
// a record twice is harmless.
type spill struct {
	path string

	mu      sync.Mutex   // the file: appends, reads, removal
	records atomic.Int64 // records in the file
	// stored names the file's batches a replay stored already, so a
	// replay cut short goes on where it stopped (under mu).
	stored map[batchName]bool
}

type batchName struct {
	instance string
	seq      uint64
}

// spillRecord is one cell of one batch.
type spillRecord struct {
	Instance string    `json:"i"`
	Seq      uint64    `json:"q"`
	Site     int64     `json:"s"`
	Hour     time.Time `json:"h"`
	Key      Key       `json:"k"`
	Counters Counters  `json:"c"`
}

func newSpill(dir string) *spill {
	if dir == "" {
		return nil
	}
	s := &spill{path: filepath.Join(dir, SpillFile)}
	var recs int64 // a file left by an earlier run is replayed at the first checkpoint
	s.each(func(*spillRecord) error { recs++; return nil })
	s.records.Store(recs)
	return s
}

// append writes records at the end of the file and syncs it.
func (s *spill) append(recs []spillRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	defer f.Close()
	// A batch is in the file whole or not at all: a write that fails
	// halfway is cut off again (a part of a batch would be stored as the
	// whole of it, and the batch in memory then skipped). A torn last line
	// from a crash is ended first, so it swallows no new record.
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	undo := func(err error) error {
		f.Truncate(size)
		return fmt.Errorf("spill: %w", err)
	}
	w := bufio.NewWriter(f)
	if size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			return undo(err)
		}
		if last[0] != '\n' {
			w.WriteByte('\n')
		}
	}
	enc := json.NewEncoder(w)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return undo(err)
		}
	}
	if err := w.Flush(); err != nil {
		return undo(err)
	}
	if err := f.Sync(); err != nil {
		return undo(err)
	}
	s.records.Add(int64(len(recs)))
	return f.Close()
}

// each calls fn for every readable record in the file, oldest first; a
// missing file has none. Callers hold s.mu.
func (s *spill) each(fn func(*spillRecord) error) (bad int, err error) {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read spill: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var rec spillRecord
			if json.Unmarshal(line, &rec) != nil || rec.Site == 0 || rec.Seq == 0 || rec.Instance == "" {
				bad++ // a torn line from a crash mid-append
			} else if ferr := fn(&rec); ferr != nil {
				return bad, ferr
			}
		}
		if err == io.EOF {
			return bad, nil
		}
		if err != nil {
			return bad, fmt.Errorf("read spill: %w", err)
		}
	}
}

// count returns the records in the file.
func (s *spill) count() int { return int(s.records.Load()) }

// replaySpill writes every batch of the spill file to the store and
// removes the file once all are stored. A failure leaves the file whole; the
// next checkpoint replays it from the start, and batches stored already are
// skipped by the store. Callers hold a.writeMu.
func (a *Aggregator) replaySpill(ctx context.Context) error {
	if a.spill == nil {
		return nil
	}
	s := a.spill
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Stat(s.path); errors.Is(err, os.ErrNotExist) {
		s.records.Store(0)
		return nil
	}
	start := time.Now()
	var b Batch
	batches, cells := 0, 0
	flush := func() error {
		if len(b.Cells) == 0 {
			return nil
		}
		name := batchName{b.Instance, b.Seq}
		if !s.stored[name] {
			if err := a.store.WriteBatch(ctx, b); err != nil {
				return fmt.Errorf("replay spilled checkpoint %d (%d cells): %w", b.Seq, len(b.Cells), err)
			}
			if s.stored == nil {
				s.stored = map[batchName]bool{}
			}
			s.stored[name] = true
		}
		batches, cells = batches+1, cells+len(b.Cells)
		b.Cells = b.Cells[:0]
		return nil
	}
	bad, err := s.each(func(r *spillRecord) error {
		if r.Instance != b.Instance || r.Seq != b.Seq {
			if err := flush(); err != nil {
				return err
			}
			b.Instance, b.Seq = r.Instance, r.Seq
		}
		b.Cells = append(b.Cells, Cell{Site: r.Site, Hour: r.Hour.UTC(), Key: r.Key, Counters: r.Counters})
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	if err := os.Remove(s.path); err != nil {
		return fmt.Errorf("remove replayed spill: %w", err)
	}
	s.records.Store(0)
	s.stored = nil
	a.replays.Add(1)
	a.log.Info("replayed spilled aggregates to the store; spill file removed",
		"batches", batches, "cells", cells, "unreadable_lines", bad, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// spillOver runs after a failed checkpoint. If more than Config.SpillCells
// cells wait in pending batches, it moves the oldest batches to the spill
// file until the rest fits. Callers hold a.writeMu.
func (a *Aggregator) spillOver() error {
	if a.spill == nil {
		return nil
	}
	a.mu.Lock()
	excess := a.pendingCells - a.cfg.SpillCells
	var recs []spillRecord
	n := 0
	for _, b := range a.pending {
		if excess <= 0 {
			break
		}
		for _, c := range b.Cells {
			recs = append(recs, spillRecord{Instance: b.Instance, Seq: b.Seq, Site: c.Site, Hour: c.Hour, Key: c.Key, Counters: c.Counters})
		}
		excess -= len(b.Cells)
		n++
	}
	a.mu.Unlock()
	if n == 0 {
		return nil
	}
	if err := a.spill.append(recs); err != nil {
		return err // they stay in memory
	}
	a.dropPending(n)
	a.spills.Add(1)
	st := a.Stats()
	a.log.Warn("store unreachable: spilled the oldest checkpoints to disk",
		"batches", n, "cells", len(recs), "file", a.spill.path, "in_memory", st.OpenCells)
	return nil
}
