package collector

import (
	"net/netip"
	"sync"
	"time"
)

// rateLimiter allows at most perSecond events a second from one network
// (the /24 or /48 that the pipeline truncates addresses to anyway). It keeps
// a count per network for the current second only, in memory, and never
// more than maxNetworks of them: past that, networks not yet seen this
// second go unlimited rather than growing the table (the bounded ingest
// queue still protects the server). Networks are never logged.
type rateLimiter struct {
	perSecond uint32

	mu     sync.Mutex
	second int64
	counts map[netip.Prefix]uint32
}

const maxNetworks = 100_000

func newRateLimiter(perSecond int) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &rateLimiter{perSecond: uint32(perSecond), counts: map[netip.Prefix]uint32{}}
}

// allow counts one event from net at now and reports whether it is within
// the limit.
func (l *rateLimiter) allow(net netip.Prefix, now time.Time) bool {
	sec := now.Unix()
	l.mu.Lock()
	defer l.mu.Unlock()
	if sec != l.second {
		l.second = sec
		clear(l.counts)
	}
	n, seen := l.counts[net]
	if !seen && len(l.counts) >= maxNetworks {
		return true
	}
	if n >= l.perSecond {
		return false
	}
	l.counts[net] = n + 1
	return true
}
