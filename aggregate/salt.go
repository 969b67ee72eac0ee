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

	mu     sync.Mutex
	dayNum int64 // the salt's UTC day, in days since the Unix epoch
	salt   []byte
}

// NewSalts returns a Salts backed by store.
func NewSalts(store Store) *Salts { return &Salts{store: store} }

// For returns the salt of now's UTC day, loading or creating it on the first
// call of a day. It never returns an earlier day's salt.
func (s *Salts) For(ctx context.Context, now time.Time) ([]byte, error) {
	// The day number is checked first: formatting the date on every event
	// cost more than the rest of this.
	const secondsPerDay = 24 * 60 * 60
	dayNum := now.Unix() / secondsPerDay
	if now.Unix() < 0 && now.Unix()%secondsPerDay != 0 {
		dayNum-- // division truncates towards zero; days start at their floor
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.salt != nil && s.dayNum == dayNum {
		return s.salt, nil
	}
	day := now.UTC().Format(time.DateOnly)
	// Forget yesterday's salt before anything else, even if loading fails.
	clear(s.salt)
	s.salt = nil
	fresh := make([]byte, SaltSize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("new salt: %w", err)
	}
	salt, err := s.store.Salt(ctx, day, fresh)
	if err != nil {
		return nil, fmt.Errorf("salt for %s: %w", day, err)
	}
	s.dayNum, s.salt = dayNum, salt
	return salt, nil
}
