package storetest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/storetest"
)

// outageDuration is how long the outage test keeps ClickHouse stopped: the
// issue's 60 s with TALLY_LONG_TESTS=1, 15 s otherwise (CI time).
func outageDuration() time.Duration {
	if os.Getenv("TALLY_LONG_TESTS") == "1" {
		return 60 * time.Second
	}
	return 15 * time.Second
}

// stream makes the outage tests' hits: one fake minute per tick, hits spread
// over 20 pages, a few browsers and countries, and 2 000 visitors who come
// back at random, so some visits go on and others end. It is deterministic.
type stream struct {
	rng  *rand.Rand
	tick int
	t0   time.Time
}

func newStream(t0 time.Time) *stream { return &stream{rng: rand.New(rand.NewPCG(7, 11)), t0: t0} }

// next returns the hits of the next tick (times inside its minute) and the
// tick's start, where the clock goes: a checkpoint that runs while the tick
// is folded then ends only visits that its hits could not continue, as in
// a real server, whose clock is never behind the hits it folds.
func (s *stream) next(site int64, n int) ([]aggregate.Hit, time.Time) {
	start := s.t0.Add(time.Duration(s.tick) * time.Minute)
	s.tick++
	hits := make([]aggregate.Hit, n)
	browsers := []string{"Chrome", "Firefox", "Safari"}
	countries := []string{"DE", "FR", "US", "JP"}
	for i := range hits {
		at := start.Add(time.Duration(i) * time.Minute / time.Duration(n))
		v := s.rng.IntN(2000)
		var k aggregate.Key
		k[aggregate.Hostname] = "example.com"
		k[aggregate.Page] = fmt.Sprintf("/page/%d", s.rng.IntN(20))
		k[aggregate.Event] = aggregate.PageviewEvent
		k[aggregate.Browser] = browsers[v%3]
		k[aggregate.Country] = countries[v%4]
		hits[i] = aggregate.Hit{Site: site, Time: at, Visitor: storetest.VisitorKey(v, at), Key: k, Zone: time.UTC}
	}
	return hits, start
}

// lockstep feeds the same hits to several aggregators sharing one clock and
// waits until each has folded them before the clock moves, so every
// aggregator sees each hit at the same instant.
func lockstep(t *testing.T, clock *storetest.Clock, hits []aggregate.Hit, at time.Time, aggs ...*aggregate.Aggregator) {
	t.Helper()
	clock.Set(at)
	for _, a := range aggs {
		for _, h := range hits {
			for !a.Add(h) {
				a.Sync(context.Background())
			}
		}
	}
	for _, a := range aggs {
		if err := a.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// perPage answers visitors, visits, pageviews and events by page, by day and
// in total, with and without rollups, as one comparable value.
func perPage(t *testing.T, e *aggregate.Engine, site account.Site, from, to string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, dims := range [][]string{nil, {"event:page"}, {"time:day"}, {"time:hour"}, {"visit:browser"}} {
		res := storetest.QueryWith(t, e, site, storetest.Q{From: from, To: to, Dimensions: dims})
		for _, r := range res.Rows {
			out[strings.Join(dims, ",")+"="+strings.Join(r.Dimensions, "|")] = fmt.Sprint(r.Metrics)
		}
	}
	return out
}

func quietLog(t *testing.T) (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(io.MultiWriter(b, os.Stderr), nil)), b
	}
	return slog.New(slog.NewTextHandler(b, nil)), b
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestClickHouseOutage stops the real ClickHouse under load, keeps it down
// (15 s, or 60 s with TALLY_LONG_TESTS=1) while hits keep coming and hours
// close, starts it again, and requires exactly the answers of an
// uninterrupted run of the same hits on a second store. Meanwhile closed
// hours must have spilled to disk and been replayed.
func TestClickHouseOutage(t *testing.T) {
	srv := storetest.NewClickHouseServer(t)
	ch := storetest.ClickHouseAt(t, srv.DSN())
	ref := storetest.SQLite(t)
	ctx := context.Background()
	site, err := ch.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	refSite, err := ref.AddSite(ctx, account.Site{Domain: "example.com", Timezone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}

	// 18:00 on: the outage spans midnight, so a whole day's rollups close.
	t0 := time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC)
	clock := &storetest.Clock{}
	clock.Set(t0)
	spillDir := t.TempDir()
	log, logs := quietLog(t)
	cfg := aggregate.DefaultConfig
	cfg.Checkpoint = 200 * time.Millisecond
	cfg.MaxBackoff = time.Second
	cfg.SpillDir = spillDir
	cfg.SpillCells = 400
	var ckMu sync.Mutex
	var ckOK, ckFail int
	cfg.OnCheckpoint = func(_ time.Duration, err error) {
		ckMu.Lock()
		defer ckMu.Unlock()
		if err != nil {
			ckFail++
		} else {
			ckOK++
		}
	}
	agg := aggregate.New(cfg, ch, clock.Now, log)
	refCfg := aggregate.DefaultConfig
	refCfg.Checkpoint = 200 * time.Millisecond
	refAgg := aggregate.New(refCfg, ref, clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))

	hitsA, hitsB := newStream(t0), newStream(t0)
	sent := 0
	run := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			a, at := hitsA.next(site.ID, 40)
			b, _ := hitsB.next(refSite.ID, 40)
			lockstep(t, clock, a, at, agg)
			lockstep(t, clock, b, at, refAgg)
			sent += len(a)
			time.Sleep(15 * time.Millisecond)
		}
	}

	run(3 * time.Second)
	outage := outageDuration()
	t.Logf("stopping ClickHouse for %s at fake time %s after %d hits", outage, clock.Now().Format(time.DateTime), sent)
	srv.Stop(t)
	run(outage)
	st := agg.Stats()
	t.Logf("during the outage: %+v", st)
	if st.Failing == 0 || st.Spills == 0 || st.Spilled == 0 {
		t.Errorf("want failing checkpoints and spilled hours during the outage, got %+v", st)
	}
	if _, err := os.Stat(filepath.Join(spillDir, aggregate.SpillFile)); err != nil {
		t.Errorf("no spill file during the outage: %v", err)
	}
	srv.Start(t)
	t.Logf("ClickHouse is back at fake time %s after %d hits", clock.Now().Format(time.DateTime), sent)
	run(5 * time.Second)

	// The replay happens within one backoff of the store's return.
	deadline := time.Now().Add(30 * time.Second)
	for agg.Stats().Replays == 0 || agg.Stats().Failing > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no replay within 30 s of ClickHouse's return: %+v\n%s", agg.Stats(), logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := agg.Close(ctx); err != nil {
		t.Fatalf("final checkpoint: %v", err)
	}
	if err := refAgg.Close(ctx); err != nil {
		t.Fatalf("final checkpoint of the reference: %v", err)
	}
	if _, err := os.Stat(filepath.Join(spillDir, aggregate.SpillFile)); !os.IsNotExist(err) {
		t.Errorf("spill file still there after the replay: %v", err)
	}
	ckMu.Lock()
	t.Logf("%d hits over %s of fake time; checkpoints: %d ok, %d failed", sent, clock.Now().Sub(t0).Round(time.Minute), ckOK, ckFail)
	ckMu.Unlock()

	from, to := t0.Format(time.DateOnly), clock.Now().Format(time.DateOnly)
	got := perPage(t, aggregate.NewEngine(ch, nil), site, from, to)
	want := perPage(t, aggregate.NewEngine(ref, nil), refSite, from, to)
	if !reflect.DeepEqual(got, want) {
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: after the outage %s, uninterrupted %s", k, got[k], w)
			}
		}
		for k, g := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: after the outage %s, uninterrupted has no such row", k, g)
			}
		}
	}
	total := storetest.Totals(t, ch, site, storetest.Q{From: from, To: to, Metrics: []aggregate.Metric{aggregate.Pageviews}})
	if int(total[0]) != sent {
		t.Errorf("pageviews after the outage: %v, sent %d", total[0], sent)
	}
	for _, line := range []string{"checkpoint failed", "spilled the oldest checkpoints", "replayed spilled aggregates", "checkpoint succeeded again"} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("no %q line in the log", line)
		}
	}
}
