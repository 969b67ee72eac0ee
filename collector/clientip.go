package collector

import (
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"strings"
	"sync"
)

// ClientIP returns the visitor's address: the socket peer, unless the peer
// is a trusted proxy, in which case X-Forwarded-For is read from the right,
// skipping trusted proxies, and X-Real-IP is the fallback. Headers from
// anyone else are ignored, so a visitor cannot choose their own address.
func ClientIP(peer netip.Addr, xff, xRealIP string, trusted []netip.Prefix) netip.Addr {
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer
	}
	hops := strings.Split(xff, ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		ip = ip.Unmap()
		if !isTrusted(ip, trusted) {
			return ip
		}
	}
	if ip, err := netip.ParseAddr(strings.TrimSpace(xRealIP)); err == nil {
		return ip.Unmap()
	}
	return peer
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Truncate keeps the network part of an address: /24 of IPv4, /48 of IPv6.
// It is applied before hashing, so even the hash input never holds a full
// address.
func Truncate(ip netip.Addr) netip.Prefix {
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	p, _ := ip.Prefix(bits)
	return p
}

// VisitorKeyMethod says, for the privacy notice, how VisitorKey computes
// a visitor's daily code; TestVisitorKeyMethod recomputes keys the way it
// says, so the two cannot drift apart.
const VisitorKeyMethod = "SHA-256 over the daily salt followed by the site's number, the shortened address (with its prefix length) and the user-agent string, cut to its first 64 bits (not an HMAC)"

// VisitorKey is the keyed hash of (daily salt, site, truncated IP, user
// agent): SHA-256 over the fixed-length secret salt followed by the inputs.
// The output is never shown to anyone, so length extension does not matter,
// and with the salt destroyed at the end of the day a key cannot be
// recomputed from the same inputs afterwards. Zero is reserved for
// anonymous hits, so it is never returned.
func VisitorKey(salt []byte, site int64, ip netip.Prefix, userAgent string) uint64 {
	bp := keyBuffers.Get().(*[]byte)
	buf := append((*bp)[:0], salt...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(site))
	a := ip.Addr().As16()
	buf = append(buf, a[:]...)
	buf = append(buf, byte(ip.Bits()))
	buf = append(buf, userAgent...)
	sum := sha256.Sum256(buf)
	clear(buf) // the buffer held the salt and the user agent
	*bp = buf
	keyBuffers.Put(bp)
	k := binary.BigEndian.Uint64(sum[:8])
	if k == 0 {
		k = 1
	}
	return k
}

var keyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}
