// Package storetest holds what every store's tests share: a fresh store in
// one line (SQLite, ClickHouse on a throwaway server), and the conformance
// suite (Run) that both stores pass, so they give the same answers to the
// same hits. It drives the real aggregation path — aggregate.New with a fake
// clock, Checkpoint, aggregate.Engine — not the stores alone.
package storetest

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/sqlite"
)

// SQLite returns an embedded store in a fresh temporary directory.
func SQLite(t testing.TB) aggregate.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Clock is a settable fake clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// NewAggregator starts an aggregator on st with the given clock whose
// checkpoints happen only when the caller asks.
func NewAggregator(st aggregate.Store, clock *Clock) *aggregate.Aggregator {
	cfg := aggregate.DefaultConfig
	cfg.Checkpoint = time.Hour
	return aggregate.New(cfg, st, clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// Feed folds hits (in time order) into agg: the clock follows the hits, and
// every time a new hour starts the aggregator checkpoints, as `tally serve`
// would in real time.
func Feed(t testing.TB, agg *aggregate.Aggregator, clock *Clock, hits []aggregate.Hit) {
	t.Helper()
	ctx := context.Background()
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Time.Before(hits[j].Time) })
	checkpoint := func() {
		if err := agg.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if err := agg.Checkpoint(ctx); err != nil {
			t.Fatalf("checkpoint: %v", err)
		}
	}
	var hour time.Time
	for _, h := range hits {
		if h.Time.Before(clock.Now()) {
			t.Fatalf("hit at %s is before the clock (%s)", h.Time, clock.Now())
		}
		// A real server checkpoints every few seconds, so idle visits end
		// about VisitGap after their last hit, while its hour is still open.
		if gap := clock.Now().Add(aggregate.VisitGap); h.Time.After(gap) {
			clock.Set(gap)
			checkpoint()
		}
		clock.Set(h.Time)
		if hh := h.Time.Truncate(time.Hour); !hh.Equal(hour) {
			checkpoint()
			hour = hh
		}
		for !agg.Add(h) {
			agg.Sync(ctx) // queue full: let the folder catch up
		}
	}
	if err := agg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// FeedAll folds hits into a new aggregator on st and closes it, so every
// visit ends and every cell is in the store.
func FeedAll(t testing.TB, st aggregate.Store, hits []aggregate.Hit) {
	t.Helper()
	clock := &Clock{}
	if len(hits) > 0 {
		clock.Set(hits[0].Time)
		for _, h := range hits {
			if h.Time.Before(clock.Now()) {
				clock.Set(h.Time)
			}
		}
	}
	// Hits carry their site's zone, as the collector's do.
	zones := map[int64]*time.Location{}
	for i := range hits {
		if hits[i].Zone != nil {
			continue
		}
		if zones[hits[i].Site] == nil {
			site, err := st.SiteByID(context.Background(), hits[i].Site)
			if err != nil {
				t.Fatalf("site of hit: %v", err)
			}
			zones[hits[i].Site] = site.Location()
		}
		hits[i].Zone = zones[hits[i].Site]
	}
	agg := NewAggregator(st, clock)
	Feed(t, agg, clock, hits)
	if err := agg.Close(context.Background()); err != nil {
		t.Fatalf("close aggregator: %v", err)
	}
}

// Q describes a query in the Stats API's terms, for tests.
type Q struct {
	From, To   string // days, YYYY-MM-DD, in the site's zone
	Metrics    []aggregate.Metric
	Dimensions []string
	Filters    []aggregate.Filter
	OrderBy    []aggregate.Order
	Limit      int
	Offset     int
	CountRows  bool
}

// Run answers q about site from the store alone.
func Query(t testing.TB, st aggregate.Store, site account.Site, q Q) aggregate.Result {
	t.Helper()
	return QueryWith(t, aggregate.NewEngine(st, nil), site, q)
}

// exact reports whether q's visitors are exact (aggregate.ExactVisitors).
func exact(site account.Site, q Q) bool { return aggregate.ExactVisitors(toQuery(nil, site, q)) }

// toQuery resolves q for site (t nil: panics on a bad day or dimension).
func toQuery(t testing.TB, site account.Site, q Q) aggregate.Query {
	fail := func(err error) {
		if t == nil {
			panic(err)
		}
		t.Helper()
		t.Fatal(err)
	}
	loc := site.Location()
	from, err := aggregate.ParseDay(q.From, loc)
	if err != nil {
		fail(err)
	}
	to, err := aggregate.ParseDay(q.To, loc)
	if err != nil {
		fail(err)
	}
	metrics := q.Metrics
	if metrics == nil {
		metrics = []aggregate.Metric{aggregate.Visitors, aggregate.Visits, aggregate.Pageviews, aggregate.Events}
	}
	var dims []aggregate.Dimension
	for _, name := range q.Dimensions {
		d, err := aggregate.ParseDimension(name, from, to)
		if err != nil {
			fail(err)
		}
		dims = append(dims, d)
	}
	return aggregate.Query{
		Site: site, From: from, To: to, Metrics: metrics, Dimensions: dims,
		Filters: q.Filters, OrderBy: q.OrderBy, Limit: q.Limit, Offset: q.Offset, CountRows: q.CountRows,
	}
}

// ToQuery resolves q for site, failing t on a bad day or dimension.
func ToQuery(t testing.TB, site account.Site, q Q) aggregate.Query {
	t.Helper()
	return toQuery(t, site, q)
}

// QueryWith answers q with a given engine (one that sees open cells, say).
func QueryWith(t testing.TB, e *aggregate.Engine, site account.Site, q Q) aggregate.Result {
	t.Helper()
	query := toQuery(t, site, q)
	res, err := e.Run(context.Background(), query)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	// Day rollups must answer exactly as the full cells do: every query of
	// the suite checks it, on both stores.
	cells, err := e.WithoutRollups().Run(context.Background(), query)
	if err != nil {
		t.Fatalf("query without rollups: %v", err)
	}
	if !reflect.DeepEqual(res, cells) {
		t.Errorf("rollups and cells disagree on %+v:\nrollups: %+v\ncells:   %+v", q, res, cells)
	}
	return res
}

// Totals returns the metrics of a query without dimensions as numbers.
func Totals(t testing.TB, st aggregate.Store, site account.Site, q Q) []float64 {
	t.Helper()
	res := Query(t, st, site, q)
	if len(res.Rows) != 1 {
		t.Fatalf("totals: %d rows, want 1", len(res.Rows))
	}
	out := make([]float64, len(res.Rows[0].Metrics))
	for i, n := range res.Rows[0].Metrics {
		out[i] = float64(n)
	}
	return out
}

// Breakdown returns "dimension values → first metric" of a query.
func Breakdown(t testing.TB, st aggregate.Store, site account.Site, q Q) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, r := range Query(t, st, site, q).Rows {
		key := ""
		for i, d := range r.Dimensions {
			if i > 0 {
				key += "|"
			}
			key += d
		}
		out[key] = float64(r.Metrics[0])
	}
	return out
}

// MustFilter builds a filter or fails the test.
func MustFilter(t testing.TB, op string, dim aggregate.Dim, values ...string) aggregate.Filter {
	t.Helper()
	f, err := aggregate.NewFilter(op, dim, values)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
