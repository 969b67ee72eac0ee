package storetest

import (
	"bytes"
	"errors"
	"testing"

	"tally/account"
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

// testReports: the first report stored under a key is the one kept; each
// site's reports are its own; deleting a site's reports leaves others.
func testReports(t *testing.T, st aggregate.Store) {
	if _, err := st.Report(bg, 1, "slug|2026-10.json"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("report before any was stored: %v, want ErrNotFound", err)
	}
	first, second := []byte(`{"n":1}`), []byte(`{"n":2}`)
	if got := ok(st.StoreReport(bg, 1, "slug|2026-10.json", first))(t); !bytes.Equal(got, first) {
		t.Fatalf("stored %q, got back %q", first, got)
	}
	if got := ok(st.StoreReport(bg, 1, "slug|2026-10.json", second))(t); !bytes.Equal(got, first) {
		t.Fatalf("a second report replaced the first: %q", got)
	}
	if got := ok(st.Report(bg, 1, "slug|2026-10.json"))(t); !bytes.Equal(got, first) {
		t.Fatalf("report = %q, want the first %q", got, first)
	}
	ok(st.StoreReport(bg, 2, "slug|2026-10.json", second))(t)
	if err := st.DeleteReports(bg, 1); err != nil {
		t.Fatal(err)
	}
	// ClickHouse deletes asynchronously; the report keys name a share's
	// slug, which republishing changes, so an old one is never asked for.
	// Site 2's report must survive either way.
	if got := ok(st.Report(bg, 2, "slug|2026-10.json"))(t); !bytes.Equal(got, second) {
		t.Fatalf("site 2's report = %q after deleting site 1's", got)
	}
}
