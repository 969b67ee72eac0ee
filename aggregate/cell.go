package aggregate

import (
	"fmt"
	"strings"
	"time"
)

// Counters are the summable part of a cell. Every metric is a sum of these
// or a ratio of such sums, so any set of cells adds up in any order.
type Counters struct {
	Pageviews int64 // hits named "pageview"
	Events    int64 // all hits, custom events included
	Visits    int64 // visits started
	Bounces   int64 // +1 when a visit starts, −1 at its second pageview
	Duration  int64 // seconds between consecutive hits of a visit, summed
	Exits     int64 // visits that ended here (only in exit cells)
	// Uniques are the first-occurrence visitor counters, by Unique.
	Uniques [NumUniques]int64
}

// Add adds o to c.
func (c *Counters) Add(o *Counters) {
	c.Pageviews += o.Pageviews
	c.Events += o.Events
	c.Visits += o.Visits
	c.Bounces += o.Bounces
	c.Duration += o.Duration
	c.Exits += o.Exits
	for i, v := range o.Uniques {
		c.Uniques[i] += v
	}
}

// IsZero reports whether no counter is set.
func (c *Counters) IsZero() bool { return *c == Counters{} }

// Cell is what one instance counted for one site, one UTC hour and one
// combination of dimension values between two checkpoints: counters only.
// Stores add cells up; a cell is never replaced.
type Cell struct {
	Site int64
	Hour time.Time // UTC, truncated to the hour
	Key  Key
	Counters
}

// Batch is one checkpoint's cells. Stores write a batch at most once: a
// batch whose (Instance, Seq) is stored already is skipped, so a retried or
// replayed checkpoint never counts twice.
type Batch struct {
	Instance string // the process that counted it; fresh on every start
	Seq      uint64 // 1, 2, … within the instance
	Cells    []Cell
}

// keySep separates dimension values in an encoded key (one byte). The collector strips
// control characters from every value, so it never occurs inside one.
const keySep = "\x1f"

// Encode returns the key as one string.
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
