package storetest

import (
	"bytes"
	"testing"

	"tally/aggregate"
)

// testNoiseKeys: the first candidate a site is given is its key for good;
// each site has its own.
func testNoiseKeys(t *testing.T, st aggregate.Store) {
	a, b := bytes.Repeat([]byte{0xa1}, 32), bytes.Repeat([]byte{0xb2}, 32)
	if got := ok(st.NoiseKey(bg, 1, a))(t); !bytes.Equal(got, a) {
		t.Fatalf("first key of site 1 = %x, want the candidate %x", got, a)
	}
	if got := ok(st.NoiseKey(bg, 1, b))(t); !bytes.Equal(got, a) {
		t.Fatalf("second call for site 1 = %x: the stored key was replaced", got)
	}
	if got := ok(st.NoiseKey(bg, 2, b))(t); !bytes.Equal(got, b) {
		t.Fatalf("site 2 = %x, want its own candidate", got)
	}
}
