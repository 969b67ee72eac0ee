package aggregate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
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
}

// DefaultConfig suits one machine: about 1 KB per open cell and 0.5 KB per
// session at the bounds, so at most ~1.2 GB under any traffic and a few MB
// for a typical site.
var DefaultConfig = Config{
	Checkpoint:  5 * time.Second,
	QueueSize:   1 << 16,
	MaxSessions: 500_000,
	MaxCells:    1_000_000,
	OpenHours:   2,
}

// Stats are running totals for logs and metrics.
type Stats struct {
	Folded, DroppedQueueFull, DroppedCellsFull, NoSession uint64
	OpenCells, Sessions                                   int
	CheckpointFailures                                    uint64
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
	sessions map[uint64]*session

	writeMu sync.Mutex // one checkpoint at a time

	folded, queueFull, cellsFull, noSession, ckptFail atomic.Uint64
}

type cellID struct {
	site int64
	hour int64 // Unix seconds of the UTC hour
	key  Key
}

type openCell struct {
	Counters
	sketch  *Sketch
	version uint64 // bumped on every change
	written uint64 // version last stored
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
		sessions: map[uint64]*session{},
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
	hour := h.Time.UTC().Truncate(time.Hour)
	pv := h.IsPageview()
	if h.Visitor == 0 {
		if c := a.cell(h.Site, hour, h.Key); c != nil {
			c.Events++
			if pv {
				c.Pageviews++
			}
			c.version++
		}
		return
	}

	s := a.sessions[h.Visitor]
	if s != nil && h.Time.Sub(s.last) >= VisitGap {
		a.endVisit(h.Visitor, s)
		s = nil
	}
	switch {
	case s != nil:
		for _, d := range visitDims {
			h.Key[d] = s.startKey[d]
		}
		if sc := a.cell(s.site, s.startHour, s.startKey); sc != nil {
			if gap := h.Time.Sub(s.last); gap > 0 {
				sc.Duration += int64(gap / time.Second)
			}
			if pv && s.pageviews == 1 {
				sc.Bounces-- // the second pageview: no longer a bounce
			}
			sc.version++
		}
	case len(a.sessions) < a.cfg.MaxSessions:
		h.Key[EntryPage] = h.Key[Page]
		s = &session{site: h.Site, startHour: hour, startKey: h.Key}
		if sc := a.cell(h.Site, hour, h.Key); sc != nil {
			sc.Visits++
			sc.Bounces++
			sc.version++
		}
		s.startHour = a.openHour(hour)
		a.sessions[h.Visitor] = s
	default:
		a.noSession.Add(1)
		h.Key[EntryPage] = h.Key[Page]
	}

	c := a.cell(h.Site, hour, h.Key)
	if c == nil {
		return
	}
	c.Events++
	if pv {
		c.Pageviews++
	}
	if c.sketch == nil {
		c.sketch = NewSketch()
	}
	c.sketch.Insert(h.Visitor)
	c.version++
	if s != nil {
		s.last = h.Time
		if pv {
			s.pageviews++
			s.lastPage, s.lastHost, s.lastHour = h.Key[Page], h.Key[Hostname], hour
		}
	}
}

// openHour returns hour if it is still open in memory, else the current
// hour: re-creating a closed hour's cell would replace its stored row with a
// partial one.
func (a *Aggregator) openHour(hour time.Time) time.Time {
	if hour.Before(a.floor()) {
		return a.now().UTC().Truncate(time.Hour)
	}
	return hour
}

// endVisit counts a visit's exit and forgets it. Callers hold a.mu.
func (a *Aggregator) endVisit(visitor uint64, s *session) {
	delete(a.sessions, visitor)
	if s.lastPage == "" {
		return // a visit of custom events only has no exit page
	}
	if c := a.cell(s.site, s.lastHour, s.exitKey()); c != nil {
		c.Exits++
		if c.sketch == nil {
			c.sketch = NewSketch()
		}
		c.sketch.Insert(visitor)
		c.version++
	}
}

// floor is the oldest hour still open in memory.
func (a *Aggregator) floor() time.Time {
	return a.now().UTC().Truncate(time.Hour).Add(-time.Duration(a.cfg.OpenHours) * time.Hour)
}

// cell returns the open cell for (site, openHour(hour), key), creating it.
// It returns nil, counting a drop, when the cell bound is reached.
func (a *Aggregator) cell(site int64, hour time.Time, key Key) *openCell {
	id := cellID{site, a.openHour(hour).Unix(), key}
	c := a.cells[id]
	if c == nil {
		if len(a.cells) >= a.cfg.MaxCells {
			a.cellsFull.Add(1)
			return nil
		}
		c = &openCell{}
		a.cells[id] = c
	}
	return c
}

// Stats returns running totals.
func (a *Aggregator) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return Stats{
		Folded:             a.folded.Load(),
		DroppedQueueFull:   a.queueFull.Load(),
		DroppedCellsFull:   a.cellsFull.Load(),
		NoSession:          a.noSession.Load(),
		CheckpointFailures: a.ckptFail.Load(),
		OpenCells:          len(a.cells),
		Sessions:           len(a.sessions),
	}
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

// snapshot folds queued hits, then calls fn for each open cell of the site
// in [from, to) and returns their ids: the store's rows of this instance for
// those cells are older copies of them.
func (a *Aggregator) snapshot(ctx context.Context, site int64, from, to time.Time, fn func(*Cell) error) (map[cellID]bool, error) {
	if err := a.Sync(ctx); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	open := map[cellID]bool{}
	lo, hi := from.Unix(), to.Unix()
	var c Cell
	for id, oc := range a.cells {
		if id.site != site || id.hour < lo || id.hour >= hi {
			continue
		}
		open[id] = true
		c = Cell{Instance: a.instance, Site: site, Hour: time.Unix(id.hour, 0).UTC(), Key: id.key, Counters: oc.Counters, Sketch: oc.sketch}
		if err := fn(&c); err != nil {
			return nil, err
		}
	}
	return open, nil
}
