package legacysketch

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The migrations turn stored sketches into their estimates; these pin what
// an estimate is.

func TestSketchAccuracy(t *testing.T) {
	s := NewSketch()
	r := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	for i := 0; i < n; i++ {
		s.Insert(r.Uint64())
	}
	if e := s.Estimate(); math.Abs(float64(e-n))/n > 0.02 {
		t.Fatalf("estimate %d of %d distinct keys: more than 2%% off", e, n)
	}
	// Small sets are exact (the sparse representation).
	small := NewSketch()
	for i := 0; i < 1000; i++ {
		small.Insert(r.Uint64())
	}
	b, _ := small.MarshalBinary()
	back, err := UnmarshalSketch(b)
	if err != nil || back.Estimate() != 1000 {
		t.Fatalf("1000 keys estimated %d after a round trip (err %v)", back.Estimate(), err)
	}
}

// A set's estimate must not depend on whether its keys went into one sketch
// or were spread over many and merged (rollups versus cells), below and
// above the size at which sketches turn dense.
func TestSketchEstimateIsPathIndependent(t *testing.T) {
	for _, n := range []int{10, 2900, 3100, 20_000} {
		r := rand.New(rand.NewPCG(uint64(n), 9))
		one := NewSketch()
		parts := make([]*Sketch, 37)
		for i := range parts {
			parts[i] = NewSketch()
		}
		for i := 0; i < n; i++ {
			k := r.Uint64()
			one.Insert(k)
			one.Insert(k) // repeated visits change nothing
			parts[i%len(parts)].Insert(k)
		}
		merged := NewSketch()
		for _, p := range parts {
			b, err := p.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := UnmarshalSketch(b)
			if err != nil {
				t.Fatal(err)
			}
			merged.Merge(back)
		}
		if a, b := one.Estimate(), merged.Estimate(); a != b {
			t.Errorf("%d keys: one sketch %d, merged parts %d", n, a, b)
		}
		if e := one.Estimate(); math.Abs(float64(e)-float64(n))/float64(n) > 0.02 {
			t.Errorf("%d keys estimated %d", n, e)
		}
	}
}

// Stores keep each rollup's estimate beside its sketch, computed from the
// sketch in memory after encoding it; queries use it in place of decoding
// and estimating the sketch, so the two must agree exactly — sparse, dense,
// and sparse sketches past the dense threshold that have not turned yet.
func TestStoredEstimateEqualsDecoded(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 100, 2999, 3000, 3001, 3050, 3255, 3300, 5000, 40_000} {
		s := NewSketch()
		for i := 0; i < n; i++ {
			s.Insert(r.Uint64())
		}
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		stored := s.Estimate()
		back, err := UnmarshalSketch(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := back.Estimate(); got != stored {
			t.Errorf("%d keys: stored estimate %d, decoded sketch estimates %d", n, stored, got)
		}
	}
}
