// Package legacysketch decodes the HyperLogLog sketches that tally stored in
// its cells and rollups before counters at rest (migrations 0005 of both
// stores): the migration turns each into its estimate and then deletes
// every sketch byte. Nothing writes a sketch any more.
package legacysketch

import (
	"fmt"

	"github.com/axiomhq/hyperloglog"
)

// Sketch estimates distinct visitors. It wraps a HyperLogLog sketch of
// precision 14 (about 0.8 % standard error) that stays sparse — and nearly
// exact — while small, so a cell with three visitors costs a few bytes.
//
// Past denseAbove distinct keys a sketch turns dense (16 KiB of registers):
// inserting into a large sparse sketch keeps re-sorting its list, which
// made folding hits into busy rollups slow. Estimate applies the same rule
// before estimating, so whether a set's keys arrived in one sketch or in
// many merged ones, its estimate is the same: sparse (nearly exact) up to
// the threshold, dense above it.
type Sketch struct {
	hll     *hyperloglog.Sketch
	dense   bool
	pending int // inserts since the last size check
}

// denseAbove is the estimated number of distinct keys past which a sketch
// is kept dense. At this size the dense estimate's error is about 1 %.
const denseAbove = 3000

// NewSketch returns an empty sketch.
func NewSketch() *Sketch { return &Sketch{hll: hyperloglog.New14()} }

// Insert adds a visitor key. Keys from the collector are already uniform
// hashes, but a cheap bijective mix (splitmix64's finaliser) keeps the
// estimate right for any key set, such as the small integers of tests.
func (s *Sketch) Insert(key uint64) {
	key ^= key >> 30
	key *= 0xbf58476d1ce4e5b9
	key ^= key >> 27
	key *= 0x94d049bb133111eb
	key ^= key >> 31
	s.hll.InsertHash(key)
	if !s.dense {
		if s.pending++; s.pending >= 256 {
			s.pending = 0
			s.densify()
		}
	}
}

// densify turns the sketch dense if it holds more than denseAbove keys.
func (s *Sketch) densify() {
	if !s.dense && s.hll.Estimate() > denseAbove {
		s.toDense()
	}
}

func (s *Sketch) toDense() {
	d := hyperloglog.NewNoSparse()
	s.mustMerge(d, s.hll)
	s.hll, s.dense = d, true
}

// Merge adds every key of o to s.
func (s *Sketch) Merge(o *Sketch) {
	if o == nil {
		return
	}
	s.mustMerge(s.hll, o.hll)
	s.dense = s.dense || o.dense
}

// mustMerge merges b into a. Merge fails only on differing precisions, and
// every sketch here is 14.
func (s *Sketch) mustMerge(a, b *hyperloglog.Sketch) {
	if err := a.Merge(b); err != nil {
		panic(fmt.Sprintf("merge sketches: %v", err))
	}
}

// Estimate returns the estimated number of distinct keys.
func (s *Sketch) Estimate() int64 {
	if s == nil {
		return 0
	}
	e := s.hll.Estimate()
	if !s.dense && e > denseAbove {
		s.toDense()
		e = s.hll.Estimate()
	}
	return int64(e)
}

// Clone returns an independent copy.
func (s *Sketch) Clone() *Sketch {
	if s == nil {
		return nil
	}
	return &Sketch{hll: s.hll.Clone(), dense: s.dense, pending: s.pending}
}

// MarshalBinary encodes the sketch for storage.
func (s *Sketch) MarshalBinary() ([]byte, error) { return s.hll.MarshalBinary() }

// UnmarshalSketch decodes a stored sketch; empty input is no sketch.
func UnmarshalSketch(b []byte) (*Sketch, error) {
	if len(b) == 0 {
		return nil, nil
	}
	s := NewSketch()
	if err := s.hll.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("decode sketch: %w", err)
	}
	// The fourth byte of the encoding says sparse (1) or dense (0).
	s.dense = len(b) > 3 && b[3] == 0
	return s, nil
}
