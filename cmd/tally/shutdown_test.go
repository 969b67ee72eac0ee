package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tally/aggregate/sqlite"
)

// TestShutdownFitsTheGracePeriod floods the real binary with distinct
// paths while nothing is checkpointed (--checkpoint 1h: every cell is open
// at the end, the worst case), sends SIGTERM under that load, and requires
// the process to exit within 10 s — the time Docker and Kubernetes give
// before SIGKILL — and every acknowledged event to be counted after a
// restart, none twice.
func TestShutdownFitsTheGracePeriod(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and floods it for several seconds")
	}
	t.Run("store answering", func(t *testing.T) { shutdownUnderFlood(t, false) })
	// Another process holds the embedded store's write lock from before
	// SIGTERM until the exit: the final checkpoint cannot be stored, and
	// the process must exit in time anyway and lose nothing.
	t.Run("store locked", func(t *testing.T) { shutdownUnderFlood(t, true) })
}

func shutdownUnderFlood(t *testing.T, lockStore bool) {
	const grace = 10 * time.Second
	bin := tallyBinary(t)
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	serve := []string{"--checkpoint", "1h", "--journal", "1s"}
	cmd, addr, log := startBinary(t, bin, dir, serve...)

	var sent, acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Timeout: 2 * time.Second, Transport: tr}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"n":"pageview","u":"https://example.com/flood/%d/%d","d":"example.com"}`, w, i)
				req, _ := http.NewRequest("POST", "http://"+addr+"/api/event", strings.NewReader(body))
				req.Header.Set("User-Agent", chromeUA)
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.%d.%d", w, i%250+1))
				sent.Add(1)
				resp, err := client.Do(req)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == 202 {
					acked.Add(1)
				}
			}
		}(w)
	}
	// At least 8 s of flood and 5 000 events acknowledged (a loaded
	// machine needs longer for them), at most 30 s.
	for start := time.Now(); time.Since(start) < 8*time.Second || (acked.Load() < 5000 && time.Since(start) < 30*time.Second); {
		time.Sleep(100 * time.Millisecond)
	}
	unlock := func() {}
	if lockStore {
		unlock = lockSQLite(t, filepath.Join(dir, sqlite.FileName))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	termed := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var took time.Duration
	select {
	case err := <-exited:
		took = time.Since(termed)
		if err != nil {
			t.Errorf("tally serve exited with %v after SIGTERM", err)
		}
	case <-time.After(grace):
		t.Fatalf("tally serve still running %s after SIGTERM:\n%s", grace, tail(log.String(), 20))
	}
	close(stop)
	wg.Wait()
	unlock()
	final := "stored"
	if strings.Contains(log.String(), "every count is in the journal") {
		final = "kept in the journal"
	}

	_, addr, _ = startBinary(t, bin, dir, serve...)
	s := &testServer{t: t, addr: addr}
	code, res := s.query(key, `{"site_id":"example.com","metrics":["pageviews"],"date_range":"day"}`)
	if code != 200 {
		t.Fatalf("query after restart: %d %s", code, res)
	}
	var rows []struct{ Metrics []float64 }
	if err := json.Unmarshal(res, &rows); err != nil || len(rows) != 1 {
		t.Fatalf("totals %s: %v", res, err)
	}
	counted := int64(rows[0].Metrics[0])
	t.Logf("sent %d, acknowledged %d; exited %s after SIGTERM (final checkpoint %s); counted after restart %d",
		sent.Load(), acked.Load(), took.Round(time.Millisecond), final, counted)
	if acked.Load() < 5000 {
		t.Errorf("only %d events acknowledged: no flood to speak of", acked.Load())
	}
	if counted < acked.Load() || counted > sent.Load() {
		t.Errorf("counted %d after restart; want every one of the %d acknowledged, at most the %d sent", counted, acked.Load(), sent.Load())
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// lockSQLite takes the write lock of an SQLite file from this process, as
// another writer would, and returns the function that gives it back.
func lockSQLite(t *testing.T, path string) func() {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatalf("lock the store: %v", err)
	}
	return func() {
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	}
}
