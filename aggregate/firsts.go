package aggregate

import (
	"hash/maphash"
	"math/bits"
)

// firsts is the day's first-occurrence state: the set of (visitor, counter,
// values) combinations seen since 00:00 UTC, each as a 64-bit hash. It lives
// in memory only, is cleared when the UTC day changes (the salt that made
// the visitor keys is destroyed then too), and is the only per-visitor state
// besides the session table. A hit adds 1 to a cell's unique counter when
// its combination is new to the set.
//
// An exact set of hashes, in one open-addressing table: 8 bytes a slot and
// no pointers, so the garbage collector never scans it. Past max entries
// it stops growing; a combination it cannot record is not counted as new
// (visitors undercount from then until midnight) and full is told so.
type firsts struct {
	seed  maphash.Seed
	slots []uint64 // 0: empty; len is a power of two
	n     int
	max   int
	full  uint64 // combinations not recorded because the set was full
}

func newFirsts(max int) *firsts {
	return &firsts{seed: maphash.MakeSeed(), max: max}
}

// clear forgets every combination (a new UTC day) and gives the memory back.
func (f *firsts) clear() {
	clear(f.slots)
	f.slots, f.n = nil, 0
}

// add records h and reports whether it is new. h must not be 0.
func (f *firsts) add(h uint64) bool {
	if f.n >= f.max {
		if !f.has(h) {
			f.full++
		}
		return false
	}
	if f.n+1 > len(f.slots)/4*3 { // keep the load under 3/4
		f.grow()
	}
	mask := uint64(len(f.slots) - 1)
	for i := start(h) & mask; ; i = (i + 1) & mask {
		switch f.slots[i] {
		case h:
			return false
		case 0:
			f.slots[i] = h
			f.n++
			return true
		}
	}
}

func (f *firsts) has(h uint64) bool {
	if len(f.slots) == 0 {
		return false
	}
	mask := uint64(len(f.slots) - 1)
	for i := start(h) & mask; ; i = (i + 1) & mask {
		switch f.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

func (f *firsts) grow() {
	size := max(1024, 2*len(f.slots))
	old := f.slots
	f.slots, f.n = make([]uint64, size), 0
	mask := uint64(size - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := start(h) & mask
		for f.slots[i] != 0 {
			i = (i + 1) & mask
		}
		f.slots[i] = h
		f.n++
	}
}

// An entry's probe starts in a region of regionSlots slots named by its top
// 24 bits, at the slot its low bits name. combine puts the visitor's bits
// there, so the forty entries a new visitor adds fill a few adjacent cache
// lines (which the processor fetches ahead) instead of forty lines all over
// a table of a hundred megabytes or more: one cache miss each was most of
// the set's cost (docs/benchmarks.md, "Visits settle every 30 s, batches
// in key order").
const (
	regionBits  = 7 // regions of 128 slots, 1 KiB
	regionShift = 64 - 24
)

func start(h uint64) uint64 {
	return (h>>regionShift)<<regionBits | h&(1<<regionBits-1)
}

// bytes is the memory the set holds.
func (f *firsts) bytes() int { return 8 * len(f.slots) }

// valueHash hashes one dimension value; combine mixes such hashes with the
// visitor key and the counter's number into the set's entry. The seed is
// the process's own, so the entries mean nothing outside it.
func (f *firsts) valueHash(v string) uint64 { return maphash.String(f.seed, v) }

func combine(visitor uint64, u Unique, a, b uint64) uint64 {
	h := mix(visitor ^ mix(a^bits.RotateLeft64(b, 29)^(uint64(u)+1)*0x9e3779b97f4a7c15))
	// The top bits are the visitor's alone (start): 40 bits of the
	// combination are left, a false match once in 10^12 lookups among one
	// visitor's entries.
	h = mix(visitor)&^(1<<regionShift-1) | h&(1<<regionShift-1)
	if h == 0 {
		h = 1
	}
	return h
}

// mix is SplitMix64's finaliser: every input bit moves every output bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
