package aggregate

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// batchLog is a CellWriter that keeps what it is given.
type batchLog struct {
	mu      sync.Mutex
	batches []Batch
}

func (l *batchLog) WriteBatch(_ context.Context, b Batch) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.batches = append(l.batches, b)
	return nil
}

// take returns the exits per exit page and the duration the batches since
// the last take add, and forgets them.
func (l *batchLog) take() (exits map[string]int64, duration int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	exits = map[string]int64{}
	for _, b := range l.batches {
		for _, c := range b.Cells {
			if c.Key[ExitPage] != "" && c.Exits != 0 {
				exits[c.Key[ExitPage]] += c.Exits
			}
			duration += c.Duration
		}
	}
	l.batches = nil
	return exits, duration
}

// A visit in progress settles its duration and its exit at every sixth
// periodic checkpoint, and at every checkpoint a query asks for (Flush);
// the periodic ones in between store its hits only.
func TestVisitsSettleEverySixthCheckpoint(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	at := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	log := &batchLog{}
	a := New(Config{Checkpoint: time.Minute}, log, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer a.Close(ctx)
	hit := func(page string) {
		var k Key
		k[Hostname], k[Page], k[Event] = "example.com", page, PageviewEvent
		if !a.Add(Hit{Site: 1, Time: clock(), Visitor: 42, Key: k}) {
			t.Fatal("hit not taken")
		}
	}
	periodic := func() {
		a.writeMu.Lock()
		defer a.writeMu.Unlock()
		if err := a.checkpoint(ctx, periodic); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(what string, exits map[string]int64, duration int64) {
		t.Helper()
		gotExits, gotDuration := log.take()
		if len(gotExits) != len(exits) || gotDuration != duration {
			t.Fatalf("%s: exits %v, duration %d; want %v, %d", what, gotExits, gotDuration, exits, duration)
		}
		for p, n := range exits {
			if gotExits[p] != n {
				t.Fatalf("%s: exits %v, want %v", what, gotExits, exits)
			}
		}
	}

	hit("/a")
	periodic() // the first periodic checkpoint settles
	expect("first checkpoint", map[string]int64{"/a": 1}, 0)
	at(10 * time.Second)
	hit("/b")
	at(50 * time.Second)
	periodic() // one minute after the last settle: not yet
	expect("second checkpoint", nil, 0)
	if err := a.Flush(ctx); err != nil { // a query
		t.Fatal(err)
	}
	expect("query", map[string]int64{"/a": -1, "/b": 1}, 10)
	at(20 * time.Second)
	hit("/c")
	for i := 0; i < 5; i++ {
		at(time.Minute)
		periodic()
		expect("periodic checkpoint before the sixth", nil, 0)
	}
	at(time.Minute)
	periodic()                                                          // six minutes after the query's settle
	expect("sixth checkpoint", map[string]int64{"/b": -1, "/c": 1}, 70) // /b at 0:10, /c at 1:20
}
