package aggregate

import (
	"crypto/rand"
	"fmt"
	"sync"
	"time"
)

// SaltSize is the length of a daily salt in bytes.
const SaltSize = 32

// Salts holds the salt of the current UTC day, in memory only: it is never
// written to a store, a file, a log or a query. Each instance draws its own
// (clients are routed to one instance, which visits need anyway). A timer
// zeroes it at 00:00 UTC and draws the next day's, so once a day is over
// nobody — not even the operator — can recompute its visitor keys, whether
// or not traffic arrives after midnight.
type Salts struct {
	now  func() time.Time
	stop chan struct{}
	done chan struct{}

	mu   sync.Mutex
	day  int64 // UTC day of salt, in days since the Unix epoch
	salt [SaltSize]byte
}

// NewSalts draws today's salt and starts the midnight timer; Close stops it.
func NewSalts(now func() time.Time) *Salts {
	s := &Salts{now: now, stop: make(chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	s.renewLocked(utcDay(now()))
	s.mu.Unlock()
	go s.run()
	return s
}

// utcDay is t's UTC day number (days since 1970-01-01).
func utcDay(t time.Time) int64 {
	const secondsPerDay = 24 * 60 * 60
	u := t.Unix()
	d := u / secondsPerDay
	if u < 0 && u%secondsPerDay != 0 {
		d-- // division truncates towards zero; days start at their floor
	}
	return d
}

// Copy writes the salt of now's UTC day into dst; callers clear dst after
// use. A call after midnight that beats the timer renews the salt itself;
// one stamped before midnight that arrives after gets today's: the salt
// only ever moves forward, so yesterday's is never drawn again.
func (s *Salts) Copy(now time.Time, dst *[SaltSize]byte) {
	day := utcDay(now)
	s.mu.Lock()
	if day > s.day {
		s.renewLocked(day)
	}
	*dst = s.salt
	s.mu.Unlock()
}

// renewLocked zeroes the salt and draws the one of day. Callers hold s.mu.
func (s *Salts) renewLocked(day int64) {
	clear(s.salt[:])
	if _, err := rand.Read(s.salt[:]); err != nil {
		panic(fmt.Sprintf("daily salt: %v", err)) // crypto/rand does not fail on Linux
	}
	s.day = day
}

// run renews the salt at every 00:00 UTC of the clock. The timer is armed
// for the real time left until midnight by the clock, and checked against
// the clock when it fires, so an injected clock moves it in tests too.
func (s *Salts) run() {
	defer close(s.done)
	for {
		now := s.now()
		s.mu.Lock()
		if day := utcDay(now); day > s.day {
			s.renewLocked(day)
		}
		s.mu.Unlock()
		next := time.Unix((utcDay(now)+1)*24*60*60, 0)
		wait := min(next.Sub(now), time.Minute) // re-read the clock at least every minute
		t := time.NewTimer(max(wait, time.Millisecond))
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Close stops the timer and zeroes the salt.
func (s *Salts) Close() {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	clear(s.salt[:])
	s.day = -1 << 40
	s.mu.Unlock()
}

// Day returns the UTC day of the salt held now; for tests.
func (s *Salts) Day() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Unix(s.day*24*60*60, 0).UTC()
}
