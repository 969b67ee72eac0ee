// Package connlimit wraps a listener so that clients cannot exhaust the
// process's file descriptors or stop it: open connections are bounded in
// total and per client network, and errors from accept — "too many open
// files" above all, which fasthttp treats as the end of serving — are
// waited out with a back-off instead of returned.
package connlimit

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Config bounds the connections a Listener keeps open.
type Config struct {
	// Max is the most connections open at once; 0: no bound.
	Max int
	// PerNetwork is the most from one client network; 0: no bound.
	PerNetwork int
	// Network maps a peer address to its network (a /24, say).
	Network func(netip.Addr) netip.Prefix
	// Exempt peers (reverse proxies, which carry many clients' connections)
	// count towards Max only.
	Exempt []netip.Prefix
}

// Stats are running totals, read by health and metrics.
type Stats struct {
	Open                         int
	RefusedTotal, RefusedNetwork uint64
	AcceptErrors                 uint64
}

// Listener is a net.Listener with Config's bounds.
type Listener struct {
	net.Listener
	cfg Config

	mu    sync.Mutex
	open  int
	byNet map[netip.Prefix]int

	refusedTotal, refusedNet, acceptErrs atomic.Uint64
	lastRefusal                          atomic.Int64 // Unix nanoseconds
}

// New wraps ln.
func New(ln net.Listener, cfg Config) *Listener {
	return &Listener{Listener: ln, cfg: cfg, byNet: map[netip.Prefix]int{}}
}

// Back-off bounds for failed accepts: short enough that serving resumes
// soon after descriptors free up, long enough not to spin.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Accept returns the next connection within the bounds. Connections past
// them are closed at once (before anything is read from them) and counted;
// temporary accept errors are counted and retried.
func (l *Listener) Accept() (net.Conn, error) {
	wait := time.Duration(0)
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !retryable(err) {
				return nil, err
			}
			l.acceptErrs.Add(1)
			wait = min(max(wait*2, minBackoff), maxBackoff)
			time.Sleep(wait)
			continue
		}
		wait = 0
		if tracked, ok := l.admit(c); ok {
			return tracked, nil
		}
		l.lastRefusal.Store(time.Now().UnixNano())
		c.Close()
	}
}

// retryable reports whether an accept error is the kind that passes:
// descriptor or buffer exhaustion, or a connection the peer dropped before
// it was accepted.
func retryable(err error) bool {
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.ECONNRESET} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// admit counts c in if the bounds allow it.
func (l *Listener) admit(c net.Conn) (net.Conn, bool) {
	var network netip.Prefix
	limited := false
	if l.cfg.PerNetwork > 0 && l.cfg.Network != nil {
		if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
			addr := ap.Addr().Unmap()
			limited = !exempt(addr, l.cfg.Exempt)
			if limited {
				network = l.cfg.Network(addr)
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg.Max > 0 && l.open >= l.cfg.Max {
		l.refusedTotal.Add(1)
		return nil, false
	}
	if limited && l.byNet[network] >= l.cfg.PerNetwork {
		l.refusedNet.Add(1)
		return nil, false
	}
	l.open++
	if limited {
		l.byNet[network]++
	}
	return &conn{Conn: c, l: l, network: network, limited: limited}, true
}

func exempt(addr netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// release counts a closed connection out.
func (l *Listener) release(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if c.limited {
		if l.byNet[c.network]--; l.byNet[c.network] <= 0 {
			delete(l.byNet, c.network)
		}
	}
}

// Stats returns running totals.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	open := l.open
	l.mu.Unlock()
	return Stats{Open: open, RefusedTotal: l.refusedTotal.Load(), RefusedNetwork: l.refusedNet.Load(), AcceptErrors: l.acceptErrs.Load()}
}

// Full reports whether a new connection would be turned away now by the
// total bound, or was in the last second by either bound.
func (l *Listener) Full() bool {
	l.mu.Lock()
	full := l.cfg.Max > 0 && l.open >= l.cfg.Max
	l.mu.Unlock()
	return full || time.Since(time.Unix(0, l.lastRefusal.Load())) < time.Second
}

// conn counts itself out of its listener once, on the first Close.
type conn struct {
	net.Conn
	l       *Listener
	network netip.Prefix
	limited bool
	closed  atomic.Bool
}

func (c *conn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.release(c)
	}
	return c.Conn.Close()
}
