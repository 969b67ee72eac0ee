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
	// MaxCells bounds the cells in memory: those counting since the last
	// checkpoint and those taken by checkpoints the store has not stored
	// yet; past it, sites above their fair share fold new cells into their
	// overflow cell (other.go, admits). Nothing is dropped.
	MaxCells int
	// MaxFirsts bounds the day's first-occurrence set (8 bytes a slot, at
	// most 4/3 slots an entry); past it, visitors are undercounted until
	// midnight and the shortfall is counted (Stats.FirstsFull).
	MaxFirsts int
	// MaxValues bounds the distinct values of one dimension one site may
	// add in a UTC day, MaxSeenValues those of all sites together, and
	// SiteCells the cells of one site in memory (counting or waiting); past
	// them values (or whole cells) fold into Other (other.go).
	MaxValues, MaxSeenValues, SiteCells int
	// MaxPropValues bounds the distinct values of one property key one
	// site may add in a UTC day (props.go); past it values fold into Other.
	MaxPropValues int
	// MaxBackoff caps the wait between checkpoints that keep failing; the
	// wait doubles from Checkpoint after each failure.
	MaxBackoff time.Duration
	// SpillDir is where checkpoints that the store could not take go once
	// more than SpillCells of their cells wait in memory; empty: they stay
	// in memory (up to MaxCells).
	SpillDir   string
	SpillCells int
	// Journal is how often the cells changed since the last write are
	// appended to the cell journal under SpillDir and synced, so that a
	// crash loses at most about this much counting (dirty.go); 0, or no
	// SpillDir: no journal, a crash loses up to a checkpoint interval.
	Journal time.Duration
	// OnCheckpoint, when set, is told how long each periodic checkpoint
	// took and how it ended (for metrics).
	OnCheckpoint func(took time.Duration, err error)
}

// DefaultConfig suits one machine: about 500 bytes per cell in memory,
// 250 per session and at most 16 bytes per first-occurrence entry, so
// about 1 GB at the bounds under any traffic and a few MB for a typical
// site (docs/design.md, "Memory bounds").
var DefaultConfig = Config{
	Checkpoint:    5 * time.Second,
	QueueSize:     1 << 16,
	MaxSessions:   500_000,
	MaxCells:      1_000_000,
	MaxFirsts:     16_000_000,
	MaxValues:     50_000,
	MaxSeenValues: 4_000_000,
	SiteCells:     250_000,
	MaxPropValues: 1000,
	MaxBackoff:    time.Minute,
	SpillCells:    250_000,
	Journal:       time.Second,
}

// Stats are running totals for logs and metrics.
type Stats struct {
	Folded, DroppedQueueFull, NoSession uint64
	// ValuesOther counts dimension values replaced by Other past a site's
	// daily bound, CellsOther hits sent to a site's overflow cell.
	ValuesOther, CellsOther uint64
	// PropsOther counts custom properties whose key or value folded into
	// Other past a site's daily bound (props.go).
	PropsOther uint64
	// JournalSyncs and JournalBytes count the cell journal's synced writes
	// and their size; JournalFailures the segments given up after a failed
	// write (their counts were then in memory only).
	JournalSyncs, JournalBytes, JournalFailures uint64
	// OpenCells counts cells in memory: counting, and taken by
	// checkpoints not stored yet (PendingCells of them).
	OpenCells, PendingCells, Sessions int
	// Firsts is the entries of the day's first-occurrence set, FirstsBytes
	// its memory; FirstsFull counts combinations it had no room for.
	Firsts, FirstsBytes int
	FirstsFull          uint64
	CheckpointFailures  uint64
	// FailingSince is when the current run of failed checkpoints began;
	// zero while checkpoints succeed. Failing counts that run.
	FailingSince time.Time
	Failing      int
	// Spilled is the number of records waiting in the spill file; Spills
	// and Replays count spill-file writes and complete replays.
	Spilled         int
	Spills, Replays uint64
}

// Aggregator folds hits into hour cells of counters, using the session
// table and the day's first-occurrence set, and checkpoints the cells to the
// store as batches of additions. Add never blocks on the store.
type Aggregator struct {
	cfg      Config
	store    CellWriter
	now      func() time.Time
	log      *slog.Logger
	instance string

	in   chan Hit
	sync chan chan struct{}
	done chan struct{}
	wg   sync.WaitGroup

	mu         sync.Mutex
	cells      map[cellID]*openCell // counted since the last checkpoint took them
	order      []*openCell          // the same cells in the order they opened (batches follow it)
	sessions   map[uint64]*session
	firsts     *firsts
	day        int64                   // UTC day of firsts
	siteFirsts map[int64]int           // entries each site added to firsts today
	other      otherState              // values seen today, cells opened, per site
	live       map[int64]*liveRing     // per-minute counts for the realtime view (live.go)
	restored   map[int64]*liveRestored // current visitors of the realtime view before a restart (livesave.go)
	idBuf      []byte                  // scratch for cell ids, under mu
	// pending are checkpoints taken but not stored yet, oldest first;
	// pendingCells counts their cells (under mu, for the cell bound).
	pending      []Batch
	pendingCells int
	seq          uint64 // the last batch's Seq
	takes        uint64 // checkpoints that settled the visits and took the cells, for Flush
	// unsettled: a hit was folded into a visit since visits last settled;
	// settled is when they did.
	unsettled bool
	settled   time.Time

	writeMu sync.Mutex // one checkpoint at a time; guards pending's writes
	spill   *spill     // nil: no spilling

	// The cell journal (dirty.go): jmu orders its writes, and is taken
	// before mu; dirty (under mu) are the cells changed since the last
	// write, marked with tick (under mu).
	jmu   sync.Mutex
	jr    *journal // nil: no journal
	dirty []*openCell
	tick  uint64

	folded, queueFull, noSession, ckptFail      atomic.Uint64
	spills, replays                             atomic.Uint64
	valuesOther, cellsOther, propsOther         atomic.Uint64
	journalSyncs, journalBytes, journalFailures atomic.Uint64
	failing                                     atomic.Int64 // failed checkpoints in a row
	failingSince                                atomic.Int64 // Unix nanoseconds; 0 when healthy
}

// CellWriter is what the aggregator needs of a store.
type CellWriter interface {
	// WriteBatch adds the batch's cells to the store, unless a batch of
	// the same Instance and Seq is stored already; then it does nothing.
	WriteBatch(ctx context.Context, b Batch) error
}

// New starts an aggregator. now is the clock (injected so tests can move time).
func New(cfg Config, store CellWriter, now func() time.Time, log *slog.Logger) *Aggregator {
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
	if cfg.MaxFirsts <= 0 {
		cfg.MaxFirsts = DefaultConfig.MaxFirsts
	}
	if cfg.MaxValues <= 0 {
		cfg.MaxValues = DefaultConfig.MaxValues
	}
	if cfg.MaxSeenValues <= 0 {
		cfg.MaxSeenValues = DefaultConfig.MaxSeenValues
	}
	if cfg.SiteCells <= 0 {
		cfg.SiteCells = min(DefaultConfig.SiteCells, cfg.MaxCells/4+1)
	}
	if cfg.MaxPropValues <= 0 {
		cfg.MaxPropValues = DefaultConfig.MaxPropValues
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultConfig.MaxBackoff
	}
	if cfg.SpillCells <= 0 {
		cfg.SpillCells = DefaultConfig.SpillCells
	}
	a := &Aggregator{
		cfg:        cfg,
		store:      store,
		now:        now,
		log:        log,
		instance:   newInstanceID(),
		in:         make(chan Hit, cfg.QueueSize),
		sync:       make(chan chan struct{}),
		done:       make(chan struct{}),
		cells:      map[cellID]*openCell{},
		sessions:   map[uint64]*session{},
		firsts:     newFirsts(cfg.MaxFirsts),
		siteFirsts: map[int64]int{},
		other:      newOtherState(cfg.MaxSeenValues),
		live:       map[int64]*liveRing{},
		restored:   map[int64]*liveRestored{},
		spill:      newSpill(cfg.SpillDir),
	}
	a.loadLive()
	a.startJournal()
	a.wg.Add(2)
	go a.fold()
	go a.checkpointLoop()
	return a
}

// newInstanceID is fresh on every start: a batch is named by (instance,
// seq), and a restarted process counts its seq from 1 again.
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
	if cellKind(&h.Key) != plainCell {
		h.Key[Hostname] = "" // only the aggregator's own cells carry a mark (kinds.go)
	}
	if len(h.Props) > 0 {
		h.Props = cleanProps(h.Props)
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
	a.rollDay(h.Time)
	if h.Key[Event] == EngagementEvent {
		a.applyEngagement(&h)
		return
	}
	event, page := h.Key[Event], h.Key[Page] // as sent, for the funnels
	a.boundValues(&h, Hostname, Event)
	hour := h.Time.UTC().Truncate(time.Hour)
	pv := h.IsPageview()
	delta := Counters{Events: 1}
	if pv {
		delta.Pageviews = 1
	}
	if h.Visitor == 0 {
		a.boundValues(&h, Source, Dim(NumDims-1))
		a.bump(h.Site, hour, &h.Key, &delta)
		a.countProps(&h, nil, hour, pv)
		a.seeLive(&h, nil, pv)
		return
	}

	s := a.sessions[h.Visitor]
	if s != nil && h.Time.Sub(s.last) >= VisitGap {
		a.endVisit(h.Visitor, s)
		s = nil
	}
	switch {
	case s != nil:
		start := s.key()
		for _, d := range visitDims {
			h.Key[d] = start[d]
		}
		// The visit's cell takes its later counts when the visit settles
		// (settle), not hit by hit: each would open that cell again.
		if gap := h.Time.Sub(s.last); gap > 0 {
			s.owedDuration += int64(gap / time.Second)
		}
		if pv && s.pageviews == 1 {
			s.owedBounces-- // the second pageview: no longer a bounce
		}
	case len(a.sessions) < a.cfg.MaxSessions:
		// The first hit's cell is the visit's cell: it holds the visit, its
		// bounce until a second pageview, and its duration.
		a.boundValues(&h, Source, Dim(NumDims-1))
		h.Key[EntryPage] = h.Key[Page]
		s = &session{site: h.Site, startHour: hour, startKey: h.Key.Encode()}
		a.sessions[h.Visitor] = s
		delta.Visits, delta.Bounces = 1, 1
	default:
		a.noSession.Add(1)
		a.boundValues(&h, Source, Dim(NumDims-1))
		h.Key[EntryPage] = h.Key[Page]
	}

	a.unsettled = true
	a.markFirsts(&h, s, &delta.Uniques)
	a.bump(h.Site, hour, &h.Key, &delta)
	a.countProps(&h, s, hour, pv)
	a.seeLive(&h, s, pv)
	a.countFunnels(&h, s, event, page)
	if s == nil {
		return
	}
	s.last = h.Time
	if pv {
		s.pageviews++
		s.lastPage, s.lastHost, s.lastHour = h.Key[Page], h.Key[Hostname], hour
	}
}

// rollDay starts a new UTC day when a hit of a later day arrives, or the
// clock passes midnight at a checkpoint. The visitor keys of the old day died
// with its salt, so no visit can go on: every visit in progress ends (its
// exit counted against the old day's set), then the first-occurrence set is
// forgotten. A hit stamped just before midnight and folded just after counts
// in the new day's set. Callers hold a.mu.
func (a *Aggregator) rollDay(now time.Time) {
	day := utcDay(now)
	if day <= a.day {
		return
	}
	if a.day != 0 {
		for v, s := range a.sessions {
			a.endVisit(v, s)
		}
	}
	a.firsts.clear()
	clear(a.siteFirsts)
	a.other.newDay()
	a.day = day
}

// endVisit counts a visit's exit where it ended, and its visitor among the
// exit page's the first time today, and forgets it. Callers hold a.mu.
func (a *Aggregator) endVisit(visitor uint64, s *session) {
	delete(a.sessions, visitor)
	a.settle(s)
	if s.lastPage == "" {
		return // a visit of custom events only has no exit page
	}
	v := siteVisitor(s.site, visitor) ^ mix(uint64(s.markedDay))
	if a.firsts.add(combine(v, UniqueOf(ExitPage), a.firsts.valueHash(s.lastPage), 0)) {
		var c Counters
		c.Uniques[UniqueOf(ExitPage)] = 1
		k := s.exitKey(s.lastHost, s.lastPage)
		a.bump(s.site, s.lastHour, &k, &c)
	}
}

// settle writes what a visit in progress owes its cells: the duration and
// bounce corrections its later hits made to its own cell, and its exit at
// its latest page (moveExit). Periodic checkpoints settle visits every
// settleEvery, a checkpoint a query asks for (Flush) always: writing them
// at every checkpoint opened two or three cells again per visit, which
// made up about half of the cells a checkpoint stored under load
// (docs/benchmarks.md, "Visits settle every 30 s, batches in key
// order"). Callers hold a.mu.
func (a *Aggregator) settle(s *session) {
	if s.owedDuration != 0 || s.owedBounces != 0 {
		start := s.key()
		a.bump(s.site, s.startHour, &start, &Counters{Duration: s.owedDuration, Bounces: s.owedBounces})
		s.owedDuration, s.owedBounces = 0, 0
	}
	a.moveExit(s)
}

// moveExit counts a visit in progress as exiting from its latest page: one
// exit taken from where it was counted when the visit last settled (cells
// are sums, so a −1 cancels the +1 already stored) and added at the latest
// page. The exit page panel a query shows then includes the visits in
// progress, not only those that ended 30 minutes after their last hit.
// Its visitors are counted only when the visit ends, since a first
// occurrence, once marked, cannot be taken back. Callers hold a.mu.
func (a *Aggregator) moveExit(s *session) {
	if s.lastPage == "" || (s.exitPage == s.lastPage && s.exitHost == s.lastHost && s.exitHour == s.lastHour.Unix()) {
		return
	}
	if s.exitPage != "" {
		k, hour := s.exitKey(s.exitHost, s.exitPage), time.Unix(s.exitHour, 0).UTC()
		a.idBuf = appendCellID(a.idBuf[:0], s.site, hour.Unix(), &k)
		if a.cells[cellID(a.idBuf)] == nil && !a.admits(s.site) {
			// Past the site's cell bound the −1 would fold into the
			// overflow cell, not cancel the +1: the exit stays where it is.
			return
		}
		a.bump(s.site, hour, &k, &Counters{Exits: -1})
	}
	k := s.exitKey(s.lastHost, s.lastPage)
	a.bump(s.site, s.lastHour, &k, &Counters{Exits: 1})
	s.exitPage, s.exitHost, s.exitHour = s.lastPage, s.lastHost, s.lastHour.Unix()
}

// bump adds delta to the open cell of (site, hour, key). Callers hold a.mu.
func (a *Aggregator) bump(site int64, hour time.Time, key *Key, delta *Counters) {
	a.idBuf = appendCellID(a.idBuf[:0], site, hour.Unix(), key)
	c := a.cells[cellID(a.idBuf)] // no copy of idBuf for a lookup
	if c == nil {
		if over := a.overflowKey(site, hour, key); over != key {
			a.idBuf = appendCellID(a.idBuf[:0], site, hour.Unix(), over)
			c = a.cells[cellID(a.idBuf)]
		}
	}
	// An admitted cell or the site's overflow cell: either is bounded
	// (admits; two overflow cells per site and hour).
	a.addTo(c, site, delta)
}

// addTo adds delta to c, or when c is nil to a new cell of site named by
// a.idBuf. Callers hold a.mu.
func (a *Aggregator) addTo(c *openCell, site int64, delta *Counters) {
	if c == nil {
		c = a.newCell()
		a.other.cells[site]++
	}
	c.Add(delta)
	a.touch(c)
}

// Stats returns running totals.
func (a *Aggregator) Stats() Stats {
	st := Stats{
		Folded:             a.folded.Load(),
		DroppedQueueFull:   a.queueFull.Load(),
		NoSession:          a.noSession.Load(),
		ValuesOther:        a.valuesOther.Load(),
		CellsOther:         a.cellsOther.Load(),
		PropsOther:         a.propsOther.Load(),
		JournalSyncs:       a.journalSyncs.Load(),
		JournalBytes:       a.journalBytes.Load(),
		JournalFailures:    a.journalFailures.Load(),
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
	st.OpenCells = len(a.cells) + a.pendingCells
	st.PendingCells = a.pendingCells
	st.Sessions = len(a.sessions)
	st.Firsts, st.FirstsBytes, st.FirstsFull = a.firsts.n, a.firsts.bytes(), a.firsts.full
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
	a.restoredLive(site, since, &n, nil, nil, nil)
	return n
}
