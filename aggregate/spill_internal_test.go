package aggregate

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A torn last line (a crash mid-append) costs that line only: the records
// appended after it stay readable.
func TestSpillTornTail(t *testing.T) {
	s := newSpill(t.TempDir())
	rec := func(seq uint64) spillRecord {
		return spillRecord{Instance: "i", Seq: seq, Site: 1, Hour: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), Counters: Counters{Pageviews: 1}}
	}
	if err := s.append([]spillRecord{rec(1)}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"i":"i","q":2,"s":1,"h":"2026-11-20T1`) // the crash
	f.Close()
	if err := s.append([]spillRecord{rec(3), rec(4)}); err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	bad, err := s.each(func(r *spillRecord) error { seqs = append(seqs, r.Seq); return nil })
	if err != nil || bad != 1 || len(seqs) != 3 || seqs[0] != 1 || seqs[1] != 3 || seqs[2] != 4 {
		t.Fatalf("read %v, %d unreadable (err %v); want 1 3 4 and the torn line", seqs, bad, err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.path), SpillFile)); err != nil {
		t.Fatal(err)
	}
}
