package aggregate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config bounds the aggregator's memory and sets its checkpoint rhythm.
type Config struct {
	// Checkpoint is how often open cells are written to the store; a crash
	// loses at most this much counting.
	Checkpoint time.Duration
	// QueueSize bounds hits accepted but not yet folded into cells.
	QueueSize int
	// MaxSessions bounds the session table; past it, a new visitor's hits are
	// still counted (pageviews, visitors) but start no visit.
	MaxSessions int
	// MaxCells bounds the open cells; past it, hits that would need a new cell
	// are dropped and counted.
	MaxCells int
	// OpenHours is how many past hours stay open in memory besides the
	// current one, so a visit that crosses an hour still updates its first cell.
	OpenHours int
	// MaxBackoff caps the wait between checkpoints that keep failing; the
	// wait doubles from Checkpoint after each failure.
	MaxBackoff time.Duration
	// SpillDir is where closed hours that the store could not take go once
	// more than SpillCells cells and rollups wait in memory; empty: they
	// stay in memory (up to MaxCells).
	SpillDir   string
	SpillCells int
	// OnCheckpoint, when set, is told how long each periodic checkpoint
	// took and how it ended (for metrics).
	OnCheckpoint func(took time.Duration, err error)
}

// DefaultConfig suits one machine: about 250 bytes per open cell (more
// with a sketch) and 400 bytes per session, so about 0.5 GB at the bounds
// under any traffic and a few MB for a typical site (docs/design.md).
var DefaultConfig = Config{
	Checkpoint:  5 * time.Second,
	QueueSize:   1 << 16,
	MaxSessions: 500_000,
	MaxCells:    1_000_000,
	OpenHours:   2,
	MaxBackoff:  time.Minute,
	SpillCells:  250_000,
}

// Stats are running totals for logs and metrics.
type Stats struct {
	Folded, DroppedQueueFull, DroppedCellsFull, NoSession uint64
	OpenCells, Sessions                                   int
	CheckpointFailures                                    uint64
	// FailingSince is when the current run of failed checkpoints began;
	// zero while checkpoints succeed. Failing counts that run.
	FailingSince time.Time
	Failing      int
	// Spilled is the number of records waiting in the spill file; Spills
	// and Replays count spill-file writes and complete replays.
	Spilled         int
	Spills, Replays uint64
}

// Aggregator folds hits into the open hour cells and the session table, and
// checkpoints the cells to the store. Add never blocks on the store.
type Aggregator struct {
	cfg      Config
	store    Store
	now      func() time.Time
	log      *slog.Logger
	instance string

	in   chan Hit
	sync chan chan struct{}
	done chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	cells    map[cellID]*openCell
	rollups  map[rollupID]*openCell // each in a slot of rslots
	rslots   slots
	zones    map[int64]*time.Location // each site's zone, from its hits
	sessions map[uint64]*session
	idBuf    []byte // scratch for cell ids, under mu
	// epoch moves whenever a cell or rollup leaves memory, which makes
	// every session's cached targets stale.
	epoch uint64
	// clock is now as of the hit being folded, or the checkpoint ending
	// visits: read once for each, as the clock costs more than a lookup.
	clock time.Time

	writeMu sync.Mutex // one checkpoint at a time
	spill   *spill     // nil: no spilling

	folded, queueFull, cellsFull, noSession, ckptFail atomic.Uint64
	spills, replays                                   atomic.Uint64
	failing                                           atomic.Int64 // failed checkpoints in a row
	failingSince                                      atomic.Int64 // Unix nanoseconds; 0 when healthy
}

// New starts an aggregator. now is the clock (injected so tests can move time).
func New(cfg Config, store Store, now func() time.Time, log *slog.Logger) *Aggregator {
	if cfg.Checkpoint <= 0 {
		cfg.Checkpoint = DefaultConfig.Checkpoint
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultConfig.QueueSize
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultConfig.MaxSessions
	}
	if cfg.MaxCells <= 0 {
		cfg.MaxCells = DefaultConfig.MaxCells
	}
	if cfg.OpenHours <= 0 {
		cfg.OpenHours = DefaultConfig.OpenHours
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultConfig.MaxBackoff
	}
	if cfg.SpillCells <= 0 {
		cfg.SpillCells = DefaultConfig.SpillCells
	}
	a := &Aggregator{
		cfg:      cfg,
		store:    store,
		now:      now,
		log:      log,
		instance: newInstanceID(),
		in:       make(chan Hit, cfg.QueueSize),
		sync:     make(chan chan struct{}),
		done:     make(chan struct{}),
		cells:    map[cellID]*openCell{},
		rollups:  map[rollupID]*openCell{},
		zones:    map[int64]*time.Location{},
		sessions: map[uint64]*session{},
		spill:    newSpill(cfg.SpillDir),
	}
	a.wg.Add(2)
	go a.fold()
	go a.checkpointLoop()
	return a
}

// newInstanceID is fresh on every start, so a restarted process never
// replaces the rows its predecessor wrote for the same hour.
func newInstanceID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("instance id: %v", err))
	}
	return hex.EncodeToString(b)
}

// Instance returns this process's instance id.
func (a *Aggregator) Instance() string { return a.instance }

// Add queues a hit and reports whether it was accepted; false means the queue
// is full (overload) and the hit was dropped and counted.
func (a *Aggregator) Add(h Hit) bool {
	// Cells are keyed by their values joined with keySep; a value holding
	// it would split into two on decoding. The collector strips control
	// characters, and this keeps the encoding safe whoever the caller is.
	for i, v := range h.Key {
		if strings.Contains(v, keySep) {
			h.Key[i] = strings.ReplaceAll(v, keySep, "")
		}
	}
	select {
	case a.in <- h:
		return true
	default:
		a.queueFull.Add(1)
		return false
	}
}

// Sync waits until every hit queued before the call is folded into the cells,
// so a query sees every hit that was answered before it began.
func (a *Aggregator) Sync(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case a.sync <- ack:
	case <-ctx.Done():
		return ctx.Err()
	case <-a.done:
		return nil
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *Aggregator) fold() {
	defer a.wg.Done()
	for {
		select {
		case h := <-a.in:
			a.mu.Lock()
			a.apply(h)
			a.foldWaiting(256)
			a.mu.Unlock()
		case ack := <-a.sync:
			// Everything sent before the sync request is in the channel
			// ahead of it only if we drain first.
			a.mu.Lock()
			a.drainLocked()
			a.mu.Unlock()
			close(ack)
		case <-a.done:
			a.mu.Lock()
			a.drainLocked()
			a.mu.Unlock()
			return
		}
	}
}

// foldWaiting folds up to n queued hits under the lock already held, so a
// burst costs one lock round-trip. Callers hold a.mu.
func (a *Aggregator) foldWaiting(n int) {
	for ; n > 0; n-- {
		select {
		case h := <-a.in:
			a.apply(h)
		default:
			return
		}
	}
}

func (a *Aggregator) drainLocked() {
	for {
		select {
		case h := <-a.in:
			a.apply(h)
		default:
			return
		}
	}
}

// apply folds one hit. Callers hold a.mu.
func (a *Aggregator) apply(h Hit) {
	a.folded.Add(1)
	a.clock = a.now()
	if h.Zone != nil {
		a.zones[h.Site] = h.Zone
	}
	hour := h.Time.UTC().Truncate(time.Hour)
	pv := h.IsPageview()
	delta := Counters{Events: 1}
	if pv {
		delta.Pageviews = 1
	}
	if h.Visitor == 0 {
		a.bump(h.Site, hour, &h.Key, delta, 0, nil, nil, nil)
		return
	}

	s := a.sessions[h.Visitor]
	if s != nil && h.Time.Sub(s.last) >= VisitGap {
		a.endVisit(h.Visitor, s)
		s = nil
	}
	var start Key // the visit's key, for a visit in progress
	switch {
	case s != nil:
		start = s.key()
		for _, d := range visitDims {
			h.Key[d] = start[d]
		}
		var visit Counters
		if gap := h.Time.Sub(s.last); gap > 0 {
			visit.Duration = int64(gap / time.Second)
		}
		if pv && s.pageviews == 1 {
			visit.Bounces = -1 // the second pageview: no longer a bounce
		}
		if !visit.IsZero() {
			a.bump(s.site, s.startHour, &start, visit, 0, &s.start, &start, nil)
		}
	case len(a.sessions) < a.cfg.MaxSessions:
		// The first hit's cell is the visit's cell: it holds the visit, its
		// bounce until a second pageview, and its duration.
		h.Key[EntryPage] = h.Key[Page]
		start = h.Key
		s = &session{site: h.Site, startHour: a.openHour(hour), startKey: start.Encode()}
		a.sessions[h.Visitor] = s
		delta.Visits, delta.Bounces = 1, 1
	default:
		a.noSession.Add(1)
		h.Key[EntryPage] = h.Key[Page]
	}

	if s == nil {
		a.bump(h.Site, hour, &h.Key, delta, h.Visitor, nil, nil, nil)
		return
	}
	// Later hits of a visit find the day's rollups of the visit's values —
	// and the visitor already in them — through s.hit: only values that
	// changed need a lookup and an insert.
	a.bump(h.Site, hour, &h.Key, delta, h.Visitor, &s.hit, &start, &s.hitVals)
	if delta.Visits == 1 {
		s.start = s.hit // the first hit's cell is the visit's cell
	}
	s.last = h.Time
	if pv {
		s.pageviews++
		s.lastPage, s.lastHost, s.lastHour = h.Key[Page], h.Key[Hostname], hour
	}
}

// openHour returns hour if it is still open in memory, else the current
// hour: re-creating a closed hour's cell would replace its stored row with a
// partial one.
func (a *Aggregator) openHour(hour time.Time) time.Time {
	if hour.Before(a.floor(a.clock)) {
		return a.clock.UTC().Truncate(time.Hour)
	}
	return hour
}

// endVisit counts a visit's exit and forgets it. Callers hold a.mu.
func (a *Aggregator) endVisit(visitor uint64, s *session) {
	delete(a.sessions, visitor)
	if s.lastPage == "" {
		return // a visit of custom events only has no exit page
	}
	k := s.exitKey()
	a.bump(s.site, s.lastHour, &k, Counters{Exits: 1}, visitor, nil, nil, nil)
}

// floor is the oldest hour still open in memory at now.
func (a *Aggregator) floor(now time.Time) time.Time {
	return now.UTC().Truncate(time.Hour).Add(-time.Duration(a.cfg.OpenHours) * time.Hour)
}

// bump adds delta, and the visitor unless zero, to the open cell of (site,
// hour, key) and to the day rollups that cell rolls up into: one per
// dimension value of the key, plus the day's totals. Exit cells roll up into
// the exit-page rollup only. Callers hold a.mu.
//
// t, when not nil, is where an earlier bump of the same visit landed: its
// rollups are taken from t instead of looked up where t is still valid and
// the value is the one the slot was taken for, and the visitor is not
// inserted again (it is in those sketches already). Folding a visit's later
// hits then costs a few lookups instead of 21, and sketch inserts — the
// rest of the cost — only where values change. For the visit-level and
// visitor-level dimensions t's slots are for base's values (the visit's
// key); for the hit-level ones, for vals' when not nil (a visit's hits,
// whose page and event change), else base's (the visit's own counters,
// bumped with base as key and visitor zero, which also reuse t's cell).
func (a *Aggregator) bump(site int64, hour time.Time, key *Key, delta Counters, visitor uint64, t *target, base *Key, vals *[hitDims]string) {
	hour = a.openHour(hour)
	h := hour.Unix()
	day := civilDay(hour, a.zone(site))
	if t == nil || isExit(key) {
		t, base, vals = &target{}, key, nil // nothing to reuse
	}
	if t.cell == nil || t.epoch != a.epoch || t.day != day {
		*t = target{epoch: a.epoch, day: day}
	}

	if c := t.cell; c != nil && vals == nil && key == base && t.hour == h {
		c.add(delta, 0) // the visit's own cell again
	} else {
		a.idBuf = appendCellID(a.idBuf[:0], site, h, key)
		if c = a.cells[cellID(a.idBuf)]; c == nil { // no copy of idBuf for a lookup
			if len(a.cells) >= a.cfg.MaxCells {
				a.cellsFull.Add(1)
				return
			}
			c = &openCell{}
			a.cells[cellID(a.idBuf)] = c
		}
		c.add(delta, visitor)
		t.cell, t.hour = c, h
	}

	if isExit(key) {
		_, r := a.rollup(rollupID{site, day, ExitPage, key[ExitPage]})
		r.add(delta, visitor)
		return
	}
	for d := Dim(0); int(d) <= NumDims; d++ { // Totals last
		if d == ExitPage {
			continue
		}
		value := ""
		if d != Totals {
			value = key[d]
		}
		sl, v := t.rollups[d], uint64(0)
		switch {
		case vals != nil && int(d) < hitDims:
			if sl == 0 || vals[d] != value {
				sl, v = a.rollupSlot(site, day, d, value), visitor
				t.rollups[d], vals[d] = sl, value
			}
		case d != Totals && value != base[d]: // a value that changed within the visit
			sl, v = a.rollupSlot(site, day, d, value), visitor
		case sl == 0:
			sl, v = a.rollupSlot(site, day, d, value), visitor
			t.rollups[d] = sl
		}
		a.rslots.at(sl).add(delta, v)
	}
}

// rollup returns the open rollup id, opening it if need be.
func (a *Aggregator) rollup(id rollupID) (slot, *openCell) {
	if r := a.rollups[id]; r != nil {
		return r.slot, r
	}
	sl, r := a.rslots.take()
	r.slot = sl
	a.rollups[id] = r
	return sl, r
}

func (a *Aggregator) rollupSlot(site, day int64, d Dim, value string) slot {
	sl, _ := a.rollup(rollupID{site, day, d, value})
	return sl
}

// dropRollup forgets an open rollup; its slot is reused. Callers move the
// epoch: sessions may name the slot.
func (a *Aggregator) dropRollup(id rollupID, r *openCell) {
	delete(a.rollups, id)
	a.rslots.release(r.slot)
}

// zone returns a site's time zone as its hits gave it, UTC before any.
func (a *Aggregator) zone(site int64) *time.Location {
	if z := a.zones[site]; z != nil {
		return z
	}
	return time.UTC
}

// Stats returns running totals.
func (a *Aggregator) Stats() Stats {
	st := Stats{
		Folded:             a.folded.Load(),
		DroppedQueueFull:   a.queueFull.Load(),
		DroppedCellsFull:   a.cellsFull.Load(),
		NoSession:          a.noSession.Load(),
		CheckpointFailures: a.ckptFail.Load(),
		Failing:            int(a.failing.Load()),
		Spills:             a.spills.Load(),
		Replays:            a.replays.Load(),
	}
	if ns := a.failingSince.Load(); ns != 0 {
		st.FailingSince = time.Unix(0, ns)
	}
	if a.spill != nil {
		st.Spilled = a.spill.count()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	st.OpenCells = len(a.cells) + len(a.rollups)
	st.Sessions = len(a.sessions)
	return st
}

// Realtime counts the visitors of a site whose latest hit is newer than since,
// from this instance's session table.
func (a *Aggregator) Realtime(site int64, since time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, s := range a.sessions {
		if s.site == site && s.last.After(since) {
			n++
		}
	}
	return n
}
