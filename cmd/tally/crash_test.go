package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tally/aggregate"
	"tally/aggregate/storetest"
)

// startBinary runs `tally serve` as a process of its own, so that it can be
// killed, and waits until it is healthy (which is after the journal replay).
func startBinary(t *testing.T, bin, dir string, extra ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	log := &syncBuffer{}
	args := append([]string{"serve", "--listen", addr, "--data", dir, "--trusted-proxies", "127.0.0.1/32"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitHealthy(t, addr, log, nil, 60*time.Second)
	return cmd, addr, log
}

// waitHealthy waits until a tally serve process answers health with 200;
// it fails the test when within passes first, or the process exits
// (exited is closed; nil: not watched).
func waitHealthy(t *testing.T, addr string, log *syncBuffer, exited <-chan struct{}, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/api/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("tally serve exited before it was healthy:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("tally serve did not become healthy:\n%s", log)
		}
	}
}

// pagePageviews asks a running server for the day's pageviews by page.
func pagePageviews(t *testing.T, addr, key string) map[string]int {
	t.Helper()
	s := &testServer{t: t, addr: addr}
	code, res := s.query(key, `{"site_id":"example.com","metrics":["pageviews"],"date_range":"day","dimensions":["event:page"],"pagination":{"limit":10000}}`)
	if code != 200 {
		t.Fatalf("query: %d %s", code, res)
	}
	var rows []struct {
		Dimensions []string
		Metrics    []float64
	}
	if err := json.Unmarshal(res, &rows); err != nil {
		t.Fatal(err)
	}
	counted := map[string]int{}
	for _, r := range rows {
		counted[r.Dimensions[0]] = int(r.Metrics[0])
	}
	return counted
}

// TestCrashLosesAtMostTheJournalInterval: SIGKILL under load loses at most
// about a second of acknowledged events on the embedded store.
func TestCrashLosesAtMostTheJournalInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it for several seconds")
	}
	crashUnderLoad(t)
}

// The same on ClickHouse (a throwaway 18.16 server).
func TestCrashLosesAtMostTheJournalIntervalClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it for several seconds")
	}
	srv := storetest.NewClickHouseServer(t)
	crashUnderLoad(t, "--clickhouse", srv.DSN())
}

// crashUnderLoad runs the real binary with a checkpoint interval far longer
// than the test (so only the journal can keep anything), sends events from
// several clients, kills it with SIGKILL mid-load, starts it again and reads
// what was counted. Every event acknowledged more than journalBound before
// the kill must be counted — one journal interval (1 s) plus a group
// commit's write and sync on a busy machine; later ones may be lost;
// nothing is ever counted twice.
func crashUnderLoad(t *testing.T, store ...string) {
	const journalBound = 1500 * time.Millisecond
	bin := tallyBinary(t)
	dir := t.TempDir()
	tally(t, append([]string{"site", "add", "example.com", "--data", dir}, store...)...)
	key := lastLine(tally(t, append([]string{"apikey", "create", "--data", dir}, store...)...))
	serve := append([]string{"--checkpoint", "1h", "--journal", "1s"}, store...)
	cmd, addr, _ := startBinary(t, bin, dir, serve...)

	// Each tenth of a second of load posts to a page of its own, so what
	// was acknowledged when can be compared page by page with what was
	// counted.
	const slot = 100 * time.Millisecond
	type pageCount struct {
		sent, acked int
		lastAck     time.Time
	}
	var mu sync.Mutex
	pages := map[string]*pageCount{}
	loadStart := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 2 * time.Second}
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				page := fmt.Sprintf("/s/%04d", time.Since(loadStart)/slot)
				mu.Lock()
				if pages[page] == nil {
					pages[page] = &pageCount{}
				}
				pages[page].sent++
				mu.Unlock()
				body := fmt.Sprintf(`{"n":"pageview","u":"https://example.com%s","d":"example.com"}`, page)
				req, _ := http.NewRequest("POST", "http://"+addr+"/api/event", strings.NewReader(body))
				req.Header.Set("User-Agent", chromeUA)
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.%d.%d", w, i%250+1))
				resp, err := client.Do(req)
				if err != nil {
					time.Sleep(10 * time.Millisecond) // the server is gone
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == 202 {
					mu.Lock()
					pages[page].acked++
					pages[page].lastAck = time.Now()
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(4500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	cmd.Wait()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()

	// What the crash left is counters: no address, no user agent.
	segs, _ := filepath.Glob(filepath.Join(dir, aggregate.JournalDir, "*"))
	if len(segs) == 0 {
		t.Error("no journal segment after the crash")
	}
	for _, p := range segs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("/s/0000")) || bytes.Contains(b, []byte("203.0.")) || bytes.Contains(b, []byte(chromeUA)) || bytes.Contains(b, []byte("Mozilla")) {
			t.Errorf("%s: want cells (pages, counters) and nothing of a visitor", p)
		}
	}

	_, addr, log := startBinary(t, bin, dir, serve...)
	counted := pagePageviews(t, addr, key)

	var acked, total, lost int
	var oldestLoss time.Duration
	for page, p := range pages {
		acked += p.acked
		total += counted[page]
		if counted[page] > p.sent {
			t.Errorf("%s counted %d times, sent only %d", page, counted[page], p.sent)
		}
		if n := p.acked - counted[page]; n > 0 {
			lost += n
			age := killed.Sub(p.lastAck)
			oldestLoss = max(oldestLoss, age)
			if age > journalBound {
				t.Errorf("%s: %d acknowledged, %d counted, though its last ack was %s before the kill",
					page, p.acked, counted[page], age.Round(time.Millisecond))
			}
		}
	}
	if acked < 500 {
		t.Fatalf("only %d events acknowledged: no load to speak of", acked)
	}
	t.Logf("acknowledged %d, counted after restart %d, lost %d (%.2f%%), all lost events acknowledged within %s of the kill",
		acked, total, lost, 100*float64(lost)/float64(acked), oldestLoss.Round(time.Millisecond))
	if !strings.Contains(log.String(), "replayed a journal segment") {
		t.Errorf("no journal replay in the log of the restart:\n%s", log)
	}
}
