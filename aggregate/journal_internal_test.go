package aggregate

import (
	"os"
	"strings"
	"testing"
	"time"
)

// A torn tail — the record a crash cut short, or one whose bytes did not
// all reach the disk — ends the segment: the records before it are read,
// nothing after it is, and a cut seal leaves the epoch unsealed.
func TestJournalTornTail(t *testing.T) {
	hour := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	id := func(page string) cellID {
		var k Key
		k[Page] = page
		return cellID(appendCellID(nil, 7, hour.Unix(), &k))
	}
	records := func(n int64) []byte {
		b := appendCellRecord(nil, id("/a"), &Counters{Pageviews: n, Events: n, Uniques: [NumUniques]int64{UHour: 1}})
		return appendCellRecord(b, id("/b"), &Counters{Exits: -n}) // negative counts encode too
	}
	sealed := appendSealRecord(nil, seal{first: 5, batches: 1, chunk: batchCells, cells: 2})

	for _, tc := range []struct {
		name       string
		tail       []byte
		torn       bool
		sealed     bool
		pageviewsA int64
	}{
		{"clean", nil, false, false, 3},
		{"half a frame", records(9)[:5], true, false, 3},
		{"half a payload", records(9)[:20], true, false, 3},
		{"flipped byte", flip(records(9), 12), true, false, 3},
		{"later record", records(9), false, false, 9},
		{"sealed", sealed, false, true, 3},
		{"seal cut short", sealed[:len(sealed)-1], true, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			seg, err := createSegment(dir, "abc", 5)
			if err != nil {
				t.Fatal(err)
			}
			if err := seg.write(append(records(3), tc.tail...)); err != nil {
				t.Fatal(err)
			}
			seg.close()
			e, err := readSegment(seg.path)
			if err != nil {
				t.Fatal(err)
			}
			if e.instance != "abc" || e.first != 5 || e.torn != tc.torn || (e.seal != nil) != tc.sealed {
				t.Fatalf("read instance %q first %d torn %v sealed %v; want abc 5 %v %v", e.instance, e.first, e.torn, e.seal != nil, tc.torn, tc.sealed)
			}
			if len(e.cells) != 2 || e.cells[0].Key[Page] != "/a" || e.cells[0].Pageviews != tc.pageviewsA ||
				e.cells[0].Uniques[UHour] != 1 || e.cells[1].Exits != -e.cells[0].Pageviews || e.cells[0].Site != 7 || !e.cells[0].Hour.Equal(hour) {
				t.Fatalf("cells %+v", e.cells)
			}
			bs, ok := e.batches()
			if !ok || len(bs) != 1 || bs[0].Instance != "abc" || bs[0].Seq != 5 || len(bs[0].Cells) != 2 {
				t.Fatalf("batches %+v ok %v", bs, ok)
			}
		})
	}
}

func flip(b []byte, i int) []byte { b[i] ^= 0x40; return b }

// A segment whose header did not reach the disk replays nothing.
func TestJournalTornHeader(t *testing.T) {
	dir := t.TempDir()
	seg, err := createSegment(dir, "abc", 5)
	if err != nil {
		t.Fatal(err)
	}
	seg.close()
	if err := os.Truncate(seg.path, 10); err != nil {
		t.Fatal(err)
	}
	e, err := readSegment(seg.path)
	if err != nil || e.instance != "" || len(e.cells) != 0 {
		t.Fatalf("read %+v, %v; want nothing", e, err)
	}
	if bs, _ := e.batches(); len(bs) != 0 {
		t.Fatalf("batches %+v from a headless segment", bs)
	}
}

// A replay cuts a sealed epoch into the very batches its checkpoint sent:
// cells sorted by id (cutBatches) when the seal says so, in the order they
// first appear for a seal of four fields (segments written before the
// batches were sorted).
func TestJournalReplayCutsAsSent(t *testing.T) {
	hour := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	pages := []string{"/z", "/b", "/y", "/a", "/x"} // appearance order, not id order
	var taken []*openCell
	var records []byte
	for i, p := range pages {
		var k Key
		k[Page] = p
		c := &openCell{id: cellID(appendCellID(nil, 7, hour.Unix(), &k)), Counters: Counters{Pageviews: int64(i + 1)}}
		taken = append(taken, c)
		records = appendCellRecord(records, c.id, &c.Counters)
	}
	const chunk = 2
	for _, tc := range []struct {
		name    string
		idOrder bool
		want    []string // pages of the batches' cells, in order
	}{
		{"sorted", true, []string{"/a", "/b", "/x", "/y", "/z"}},
		{"four-field seal", false, pages},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seg, err := createSegment(t.TempDir(), "abc", 5)
			if err != nil {
				t.Fatal(err)
			}
			s := seal{first: 5, batches: 3, chunk: chunk, cells: uint64(len(pages)), idOrder: tc.idOrder}
			if err := seg.write(appendSealRecord(append([]byte(nil), records...), s)); err != nil {
				t.Fatal(err)
			}
			seg.close()
			e, err := readSegment(seg.path)
			if err != nil {
				t.Fatal(err)
			}
			bs, ok := e.batches()
			if !ok || len(bs) != 3 {
				t.Fatalf("batches %+v ok %v", bs, ok)
			}
			var got []string
			for i, b := range bs {
				if b.Seq != 5+uint64(i) || len(b.Cells) > chunk {
					t.Fatalf("batch %d: seq %d, %d cells", i, b.Seq, len(b.Cells))
				}
				for _, c := range b.Cells {
					got = append(got, c.Key[Page])
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("replayed batches hold %v, want %v", got, tc.want)
			}
		})
	}

	// And the checkpoint's own cut, for the same cells, is the sorted one.
	a := &Aggregator{instance: "abc"}
	a.pending = []Batch{{Seq: 5}, {Seq: 6}, {Seq: 7}}
	a.cutBatches(taken, 5)
	var got []string
	for _, b := range a.pending {
		for _, c := range b.Cells {
			got = append(got, c.Key[Page])
		}
	}
	if len(a.pending[0].Cells) != min(batchCells, len(pages)) || got[0] != "/a" || got[len(got)-1] != "/z" {
		t.Fatalf("cutBatches gave %v", got)
	}
}
