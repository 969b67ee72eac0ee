package dashboard

import (
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/collector"
)

const (
	// An account gets accountAttempts failed sign-ins per loginWindow, a
	// network networkAttempts: enough for a few people who mistype, too
	// few for guessing.
	accountAttempts = 10
	networkAttempts = 20
	loginWindow     = 15 * time.Minute
)

// signInLimit counts failed sign-ins per account and per network, in
// memory. A success clears neither count of anyone else: an attacker's own
// account signing in must not buy more guesses at another.
type signInLimit struct {
	accounts, networks *limiter
}

func newSignInLimit() *signInLimit {
	return &signInLimit{accounts: newLimiter(accountAttempts, loginWindow), networks: newLimiter(networkAttempts, loginWindow)}
}

// blocked returns how long the next attempt must wait, or 0.
func (s *signInLimit) blocked(email, network string, now time.Time) time.Duration {
	return max(s.accounts.blocked(email, now), s.networks.blocked(network, now))
}

func (s *signInLimit) fail(email, network string, now time.Time) {
	s.accounts.fail(email, now)
	s.networks.fail(network, now)
}

// succeed clears the account's own count: whoever knows its password
// need not wait for guesses made at it.
func (s *signInLimit) succeed(email string) { s.accounts.reset(email) }

// clientNetwork is the network a sign-in comes from: /24 for IPv4, /64
// for IPv6 (one subscriber usually holds a whole /64). It lives only in
// memory and is never logged.
func (d *Dashboard) clientNetwork(c *fiber.Ctx) string {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	ip := collector.ClientIP(peer, c.Get(fiber.HeaderXForwardedFor), c.Get("X-Real-IP"), d.cfg.TrustedProxies).Unmap()
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return ip.String()
	}
	return p.String()
}

// limiter counts failures per key in memory.
type limiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	fails  map[string]*failures
}

type failures struct {
	n     int
	since time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: map[string]*failures{}}
}

// blocked returns how long key must wait, or 0.
func (l *limiter) blocked(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fails[key]
	if f == nil || now.Sub(f.since) >= l.window {
		return 0
	}
	if f.n >= l.max {
		return f.since.Add(l.window).Sub(now)
	}
	return 0
}

func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fails[key]
	if f == nil || now.Sub(f.since) >= l.window {
		if len(l.fails) >= 100_000 {
			clear(l.fails) // a bound, against floods of addresses
		}
		f = &failures{since: now}
		// A copy: a key read from a request may share the request's
		// buffer, which the next request overwrites (fiber without
		// Immutable), and a changed key would forget its failures.
		l.fails[strings.Clone(key)] = f
	}
	f.n++
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
