package aggregate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
)

// journalRig is a real embedded store, a data folder for the journal, and a
// clock; each aggregator started on it is one run of `tally serve`.
type journalRig struct {
	t     *testing.T
	ctx   context.Context
	store aggregate.Store
	dir   string
	site  account.Site
	clock *storetest.Clock
	start time.Time
}

func newJournalRig(t *testing.T) *journalRig {
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	r := &journalRig{t: t, ctx: context.Background(), store: storetest.SQLite(t), dir: t.TempDir(),
		clock: &storetest.Clock{}, start: start}
	r.clock.Set(start)
	site, err := r.store.AddSite(r.ctx, account.Site{Domain: "example.com", Timezone: "UTC", Created: start})
	if err != nil {
		t.Fatal(err)
	}
	r.site = site
	return r
}

// run starts an aggregator writing through w (the store, or a wrapper that
// fails). The journal's ticker never fires by itself: tests commit when
// they mean to.
func (r *journalRig) run(w aggregate.CellWriter) *aggregate.Aggregator {
	cfg := aggregate.DefaultConfig
	cfg.Checkpoint, cfg.Journal, cfg.SpillDir = time.Hour, time.Hour, r.dir
	return aggregate.New(cfg, w, r.clock.Now, quiet)
}

// pageviews sends n pageviews to each of pages from..to-1 (no visitor:
// each hit is one count in one cell).
func (r *journalRig) pageviews(agg *aggregate.Aggregator, from, to, n int, sent map[string]int) {
	for i := from; i < to; i++ {
		var k aggregate.Key
		k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = "example.com", fmt.Sprintf("/p/%05d", i), "pageview"
		for j := 0; j < n; j++ {
			for !agg.Add(aggregate.Hit{Site: r.site.ID, Time: r.clock.Now(), Key: k, Zone: time.UTC}) {
				agg.Sync(r.ctx)
			}
			sent[k[aggregate.Page]]++
		}
	}
}

// stored is the pageviews of each page in the store.
func (r *journalRig) stored() map[string]int {
	out := map[string]int{}
	for p, n := range storetest.Breakdown(r.t, r.store, r.site, storetest.Q{From: "2026-11-20", To: "2026-11-20",
		Metrics: []aggregate.Metric{aggregate.Pageviews}, Dimensions: []string{"event:page"}, Limit: 100000}) {
		out[p] = int(n)
	}
	return out
}

func (r *journalRig) want(want map[string]int) {
	r.t.Helper()
	got := r.stored()
	bad := 0
	for p, n := range want {
		if got[p] != n {
			if bad++; bad <= 5 {
				r.t.Errorf("%s: stored %d, want %d", p, got[p], n)
			}
		}
	}
	for p, n := range got {
		if _, ok := want[p]; !ok {
			if bad++; bad <= 5 {
				r.t.Errorf("%s: stored %d, want none", p, n)
			}
		}
	}
	if bad > 0 {
		r.t.Fatalf("%d pages wrong of %d", bad, len(want))
	}
}

func (r *journalRig) segments() []string {
	names, err := filepath.Glob(filepath.Join(r.dir, aggregate.JournalDir, "*"))
	if err != nil {
		r.t.Fatal(err)
	}
	return names
}

// A crash keeps everything committed to the journal before it: the next
// start stores it, and what came after the last commit is lost (the bound).
func TestJournalUnsealedSegmentReplayed(t *testing.T) {
	r := newJournalRig(t)
	agg := r.run(r.store)
	kept := map[string]int{}
	r.pageviews(agg, 0, 300, 2, kept)
	agg.CommitJournal()
	r.pageviews(agg, 100, 400, 1, kept) // some cells change, some open
	agg.CommitJournal()
	r.pageviews(agg, 400, 450, 1, map[string]int{}) // never committed: lost
	agg.Crash()
	if n := len(r.stored()); n != 0 {
		t.Fatalf("%d pages stored before the restart; want none (no checkpoint ran)", n)
	}

	agg = r.run(r.store)
	defer agg.Close(r.ctx)
	if err := agg.Recover(r.ctx); err != nil {
		t.Fatal(err)
	}
	r.want(kept)
	if s := r.segments(); len(s) != 0 {
		t.Errorf("segments left after the replay: %v", s)
	}
}

// failingWriter stores the first n batches it is given, then fails.
type failingWriter struct {
	st aggregate.CellWriter
	n  atomic.Int64
}

func (w *failingWriter) WriteBatch(ctx context.Context, b aggregate.Batch) error {
	if w.n.Add(-1) < 0 {
		return errors.New("store gone")
	}
	return w.st.WriteBatch(ctx, b)
}

// A crash after the seal, with some of the epoch's batches stored and
// others not, then a replay cut short by the store, then another: every
// count ends up stored exactly once. The replay must cut the cells into the
// very batches the checkpoint sent, or some count twice and others never.
func TestJournalReplayExactlyOnce(t *testing.T) {
	r := newJournalRig(t)
	w := &failingWriter{st: r.store}
	w.n.Store(1)
	agg := r.run(w)
	kept := map[string]int{}
	r.pageviews(agg, 0, 7000, 1, kept)
	agg.CommitJournal()
	r.pageviews(agg, 3000, 12000, 1, kept) // three batches of up to 5 000 cells
	if err := agg.Checkpoint(r.ctx); err == nil {
		t.Fatal("checkpoint succeeded; the store was to fail after one batch")
	}
	agg.Crash()
	if got := r.stored(); len(got) != 5000 {
		t.Fatalf("%d pages stored before the crash; want one batch, 5000", len(got))
	}

	w = &failingWriter{st: r.store}
	w.n.Store(2) // the first batch again (skipped by the store), and the second
	agg = r.run(w)
	if err := agg.Recover(r.ctx); err == nil {
		t.Fatal("replay succeeded; the store was to fail")
	}
	agg.Crash()
	if len(r.segments()) != 1 {
		t.Fatalf("segments %v; want the one not fully replayed", r.segments())
	}

	agg = r.run(r.store)
	defer agg.Close(r.ctx)
	if err := agg.Recover(r.ctx); err != nil {
		t.Fatal(err)
	}
	r.want(kept)
	if s := r.segments(); len(s) != 0 {
		t.Errorf("segments left after the replay: %v", s)
	}
}

// A segment is deleted once every batch of its epoch is stored, and kept
// while any waits in memory.
func TestJournalSegmentDeletedWhenStored(t *testing.T) {
	r := newJournalRig(t)
	w := &failingWriter{st: r.store}
	w.n.Store(1 << 30)
	agg := r.run(w)
	defer agg.Close(r.ctx)
	kept := map[string]int{}
	r.pageviews(agg, 0, 10, 1, kept)
	agg.CommitJournal()
	if len(r.segments()) != 1 {
		t.Fatalf("segments %v after a commit; want one", r.segments())
	}
	if err := agg.Checkpoint(r.ctx); err != nil {
		t.Fatal(err)
	}
	if s := r.segments(); len(s) != 0 {
		t.Fatalf("segments %v after a stored checkpoint; want none", s)
	}

	w.n.Store(0) // the store fails
	r.pageviews(agg, 10, 20, 1, kept)
	if err := agg.Checkpoint(r.ctx); err == nil {
		t.Fatal("checkpoint succeeded against a failing store")
	}
	if len(r.segments()) != 1 {
		t.Fatalf("segments %v while a batch waits; want its sealed segment", r.segments())
	}
	w.n.Store(1 << 30)
	if err := agg.Checkpoint(r.ctx); err != nil {
		t.Fatal(err)
	}
	if s := r.segments(); len(s) != 0 {
		t.Fatalf("segments %v once stored; want none", s)
	}
	r.want(kept)
}

// blockingWriter never finishes a write before its context ends.
type blockingWriter struct{}

func (blockingWriter) WriteBatch(ctx context.Context, b aggregate.Batch) error {
	<-ctx.Done()
	return ctx.Err()
}

// Close returns by its deadline whatever the store does; when the store did
// not take the final checkpoint, the journal holds it and the next start
// stores it — with the exits of the visits Close ended.
func TestJournalCloseWithinDeadline(t *testing.T) {
	r := newJournalRig(t)
	agg := r.run(blockingWriter{})
	kept := map[string]int{}
	r.pageviews(agg, 0, 6000, 1, kept)
	agg.CommitJournal()
	r.pageviews(agg, 6000, 8000, 1, kept) // not committed: Close's seal writes it
	var k aggregate.Key
	k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = "example.com", "/visit", "pageview"
	agg.Add(aggregate.Hit{Site: r.site.ID, Time: r.clock.Now(), Visitor: 42, Key: k, Zone: time.UTC})
	kept["/visit"]++

	ctx, cancel := context.WithTimeout(r.ctx, 500*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err := agg.Close(ctx)
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("Close took %s with a 500ms deadline", took)
	}
	if !errors.Is(err, aggregate.ErrKeptInJournal) {
		t.Fatalf("Close: %v; want ErrKeptInJournal", err)
	}

	agg = r.run(r.store)
	defer agg.Close(r.ctx)
	if err := agg.Recover(r.ctx); err != nil {
		t.Fatal(err)
	}
	r.want(kept)
	exits := storetest.Totals(t, r.store, r.site, storetest.Q{From: "2026-11-20", To: "2026-11-20",
		Metrics: []aggregate.Metric{aggregate.Visits}, Filters: []aggregate.Filter{storetest.MustFilter(t, "is", aggregate.ExitPage, "/visit")}})
	if exits[0] != 1 {
		t.Errorf("visits exiting at /visit: %v; want 1 (the exit Close counted)", exits)
	}
}

// Without a journal folder nothing is written, and a crash loses what the
// last checkpoint did not store (the behaviour before the journal).
func TestJournalOff(t *testing.T) {
	r := newJournalRig(t)
	cfg := aggregate.DefaultConfig
	cfg.Checkpoint, cfg.Journal, cfg.SpillDir = time.Hour, 0, r.dir
	agg := aggregate.New(cfg, r.store, r.clock.Now, quiet)
	r.pageviews(agg, 0, 10, 1, map[string]int{})
	agg.CommitJournal()
	agg.Crash()
	if _, err := os.Stat(filepath.Join(r.dir, aggregate.JournalDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal folder with Journal 0: %v", err)
	}
	agg = aggregate.New(cfg, r.store, r.clock.Now, quiet)
	defer agg.Close(r.ctx)
	if err := agg.Recover(r.ctx); err != nil {
		t.Fatal(err)
	}
	r.want(map[string]int{})
}

// Turning the journal off after a crash still replays what it holds.
func TestJournalLeftoverReplayedWithJournalOff(t *testing.T) {
	r := newJournalRig(t)
	agg := r.run(r.store)
	kept := map[string]int{}
	r.pageviews(agg, 0, 10, 3, kept)
	agg.CommitJournal()
	agg.Crash()

	cfg := aggregate.DefaultConfig
	cfg.Checkpoint, cfg.Journal, cfg.SpillDir = time.Hour, 0, r.dir
	agg = aggregate.New(cfg, r.store, r.clock.Now, quiet)
	defer agg.Close(r.ctx)
	if err := agg.Recover(r.ctx); err != nil {
		t.Fatal(err)
	}
	r.want(kept)
	if s := r.segments(); len(s) != 0 {
		t.Errorf("segments left after the replay: %v", s)
	}
}
