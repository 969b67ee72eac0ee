package metrics

import (
	"context"
	"errors"
	"sync"
	"time"

	"tally/account"
	"tally/aggregate"
)

// Store times the calls that queries and checkpoints make to a store, and
// remembers whether the latest of each kind failed, for health.
type Store struct {
	aggregate.Store
	m *Metrics

	mu     sync.Mutex
	failed map[string]failure // by op: the latest call's failure, if it failed
}

type failure struct {
	err error
	at  time.Time
}

var _ aggregate.Store = (*Store)(nil)

// Store wraps st so that its reads, writes and pings are timed.
func (m *Metrics) Store(st aggregate.Store) *Store {
	return &Store{Store: st, m: m, failed: map[string]failure{}}
}

// observe records a call that began at start; err points at the call's
// named result, read when the deferred call runs.
func (s *Store) observe(op string, start time.Time, err *error) {
	result := "ok"
	if *err != nil {
		result = "error"
	}
	s.m.store.WithLabelValues(op, result).Observe(time.Since(start).Seconds())
	s.note(op, *err)
}

// note records how the latest call of op ended. The caller's own mistakes
// (a question the engine refuses, an unknown site) and calls the caller
// gave up on say nothing about the store.
func (s *Store) note(op string, err error) {
	if errors.Is(err, aggregate.ErrInvalid) || errors.Is(err, account.ErrNotFound) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.failed, op)
		return
	}
	s.failed[op] = failure{err: err, at: time.Now()}
}

// Failing returns an operation whose latest call, within the last minute,
// failed, and its error; "" when none did. A store that answers pings but
// not queries (a damaged file, a missing table) shows here.
func (s *Store) Failing() (op string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for o, f := range s.failed {
		if time.Since(f.at) < time.Minute && (op == "" || o < op) {
			op, err = o, f.err
		}
	}
	return op, err
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

func (s *Store) Site(ctx context.Context, domain string) (site account.Site, err error) {
	defer s.observe("site", time.Now(), &err)
	return s.Store.Site(ctx, domain)
}

func (s *Store) Ping(ctx context.Context) (err error) {
	defer s.observe("ping", time.Now(), &err)
	return s.Store.Ping(ctx)
}
