package metrics

import (
	"context"
	"time"

	"tally/account"
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
	s.m.store.Observe(time.Since(start), op, result)
}

func (s *Store) WriteBatch(ctx context.Context, b aggregate.Batch) (err error) {
	defer s.observe("write_batch", time.Now(), &err)
	return s.Store.WriteBatch(ctx, b)
}

func (s *Store) Aggregate(ctx context.Context, p *aggregate.Plan) (g []aggregate.Group, err error) {
	defer s.observe("aggregate", time.Now(), &err)
	return s.Store.Aggregate(ctx, p)
}

func (s *Store) CountGroups(ctx context.Context, p *aggregate.Plan) (n int, err error) {
	defer s.observe("count_groups", time.Now(), &err)
	return s.Store.CountGroups(ctx, p)
}

func (s *Store) FunnelSteps(ctx context.Context, site, funnel int64, from, to time.Time) (n map[int]int64, err error) {
	defer s.observe("funnel", time.Now(), &err)
	return s.Store.FunnelSteps(ctx, site, funnel, from, to)
}

func (s *Store) Site(ctx context.Context, domain string) (site account.Site, err error) {
	defer s.observe("site", time.Now(), &err)
	return s.Store.Site(ctx, domain)
}

func (s *Store) Ping(ctx context.Context) (err error) {
	defer s.observe("ping", time.Now(), &err)
	return s.Store.Ping(ctx)
}
