package aggregate

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"
)

// SaltSize is the length of a daily salt in bytes.
const SaltSize = 32

// Salts hands out the salt of the current UTC day. The salt is random, kept
// only in the store's salt table for that day, and destroyed when the day
// changes (Store.Salt deletes every other day's row), so once a day is over
// nobody — not even the operator — can recompute its visitor keys.
type Salts struct {
	store Store

	mu   sync.Mutex
	day  string
	salt []byte
}

// NewSalts returns a Salts backed by store.
func NewSalts(store Store) *Salts { return &Salts{store: store} }

// For returns the salt of now's UTC day, loading or creating it on the first
// call of a day. It never returns an earlier day's salt.
func (s *Salts) For(ctx context.Context, now time.Time) ([]byte, error) {
	day := now.UTC().Format(time.DateOnly)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.day == day {
		return s.salt, nil
	}
	// Forget yesterday's salt before anything else, even if loading fails.
	clear(s.salt)
	s.salt, s.day = nil, ""
	fresh := make([]byte, SaltSize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("new salt: %w", err)
	}
	salt, err := s.store.Salt(ctx, day, fresh)
	if err != nil {
		return nil, fmt.Errorf("salt for %s: %w", day, err)
	}
	s.day, s.salt = day, salt
	return salt, nil
}
