package metrics

import (
	"context"
	"time"

	"tally/aggregate"
)

// Store times the calls that queries and checkpoints make to a store.
type Store struct {
	aggregate.Store
	m *Metrics
}

var _ aggregate.Store = (*Store)(nil)

// Store wraps st so that its reads, writes and pings are timed.
func (m *Metrics) Store(st aggregate.Store) *Store { return &Store{Store: st, m: m} }

// observe records a call that began at start; err points at the call's
// named result, read when the deferred call runs.
func (s *Store) observe(op string, start time.Time, err *error) {
	result := "ok"
	if *err != nil {
		result = "error"
	}
	s.m.store.WithLabelValues(op, result).Observe(time.Since(start).Seconds())
}

func (s *Store) ReadCells(ctx context.Context, site int64, from, to time.Time, fn func(*aggregate.Cell) error) (err error) {
	defer s.observe("read_cells", time.Now(), &err)
	return s.Store.ReadCells(ctx, site, from, to, fn)
}

func (s *Store) ReadRollups(ctx context.Context, site int64, dim aggregate.Dim, from, to time.Time, fn func(*aggregate.Rollup) error) (err error) {
	defer s.observe("read_rollups", time.Now(), &err)
	return s.Store.ReadRollups(ctx, site, dim, from, to, fn)
}

func (s *Store) ReadRollupEstimates(ctx context.Context, site int64, dim aggregate.Dim, from, to time.Time, fn func(*aggregate.Rollup) error) (err error) {
	defer s.observe("read_rollup_estimates", time.Now(), &err)
	return s.Store.ReadRollupEstimates(ctx, site, dim, from, to, fn)
}

func (s *Store) WriteCells(ctx context.Context, cells []aggregate.Cell) (err error) {
	defer s.observe("write_cells", time.Now(), &err)
	return s.Store.WriteCells(ctx, cells)
}

func (s *Store) WriteRollups(ctx context.Context, rollups []aggregate.Rollup) (err error) {
	defer s.observe("write_rollups", time.Now(), &err)
	return s.Store.WriteRollups(ctx, rollups)
}

func (s *Store) Site(ctx context.Context, domain string) (site aggregate.Site, err error) {
	defer s.observe("site", time.Now(), &err)
	return s.Store.Site(ctx, domain)
}

func (s *Store) Ping(ctx context.Context) (err error) {
	defer s.observe("ping", time.Now(), &err)
	return s.Store.Ping(ctx)
}
