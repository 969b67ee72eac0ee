package aggregate

import (
	"fmt"
	"strings"
	"time"
)

// Counters are the summable part of a cell. Every metric except visitors is a
// ratio of sums of these, so any set of cells can be added up in any order.
type Counters struct {
	Pageviews int64 // hits named "pageview"
	Events    int64 // all hits, custom events included
	Visits    int64 // visits started
	Bounces   int64 // +1 when a visit starts, −1 at its second pageview
	Duration  int64 // seconds between consecutive hits of a visit, summed
	Exits     int64 // visits that ended here (only in exit cells)
}

// Add adds o to c.
func (c *Counters) Add(o Counters) {
	c.Pageviews += o.Pageviews
	c.Events += o.Events
	c.Visits += o.Visits
	c.Bounces += o.Bounces
	c.Duration += o.Duration
	c.Exits += o.Exits
}

// IsZero reports whether no counter is set.
func (c Counters) IsZero() bool { return c == Counters{} }

// Cell is the aggregate of one site, one UTC hour and one combination of
// dimension values, as one instance saw it. Stores keep one row per
// (Instance, Site, Hour, Key) and replace it on every checkpoint.
type Cell struct {
	Instance string    // the process that wrote it; a fresh id every start
	Site     int64     // site id
	Hour     time.Time // UTC, truncated to the hour
	Key      Key
	Counters
	Sketch *Sketch // visitor keys seen in this cell; nil when none
}

// keySep separates dimension values in an encoded key (one byte). The collector strips
// control characters from every value, so it never occurs inside one.
const keySep = "\x1f"

// Encode returns the key as one string, for stores that intern keys.
func (k Key) Encode() string { return strings.Join(k[:], keySep) }

// DecodeKey is the inverse of Key.Encode. A key written before dimensions were
// appended has fewer fields; the missing ones are empty.
func DecodeKey(s string) (Key, error) {
	var k Key
	if !decodeKeyInto(&k, s) {
		return Key{}, fmt.Errorf("decode cell key: %d fields, want at most %d", strings.Count(s, keySep)+1, NumDims)
	}
	return k, nil
}

// decodeKeyInto fills k, which must be zero, from an encoded key without
// allocating: the values share s's memory; fields past the last encoded one
// stay empty. It reports false if s has more fields than a Key.
func decodeKeyInto(k *Key, s string) bool {
	// A plain loop: most values are a few bytes, too short for
	// strings.IndexByte's call to pay off.
	n, start := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != keySep[0] {
			continue
		}
		if n == NumDims-1 {
			return false
		}
		k[n] = s[start:i]
		n, start = n+1, i+1
	}
	k[n] = s[start:]
	return true
}
