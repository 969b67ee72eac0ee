package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCrashLosesAtMostTheCheckpointInterval runs the real binary on the
// embedded store with --checkpoint 1s, sends events from several clients,
// kills it with SIGKILL mid-load, starts it again and reads what was
// counted. Every event acknowledged more than two seconds (the checkpoint
// interval plus one checkpoint's duration) before the kill must be counted;
// later ones may be lost; nothing is ever counted twice.
func TestCrashLosesAtMostTheCheckpointInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it for several seconds")
	}
	bin := filepath.Join(t.TempDir(), "tally")
	if out, err := exec.Command("go", "build", "-o", bin, "tally/cmd/tally").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))

	start := func() (*exec.Cmd, string, *syncBuffer) {
		addr := freeAddr(t)
		log := &syncBuffer{}
		cmd := exec.Command(bin, "serve", "--listen", addr, "--data", dir, "--checkpoint", "1s", "--trusted-proxies", "127.0.0.1/32")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if resp, err := http.Get("http://" + addr + "/api/health"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return cmd, addr, log
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("tally serve did not become healthy:\n%s", log)
			}
		}
	}
	cmd, addr, _ := start()

	// Each quarter second of load posts to a page of its own, so what was
	// acknowledged when can be compared page by page with what was counted.
	const slot = 250 * time.Millisecond
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
				page := fmt.Sprintf("/s/%03d", time.Since(loadStart)/slot)
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

	_, addr, _ = start()
	s := &testServer{t: t, addr: addr}
	code, res := s.query(key, `{"site_id":"example.com","metrics":["pageviews"],"date_range":"day","dimensions":["event:page"],"pagination":{"limit":10000}}`)
	if code != 200 {
		t.Fatalf("query after restart: %d %s", code, res)
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

	const bound = 2 * time.Second
	var acked, total, lost, lostOld int
	var oldestLoss time.Duration
	for page, p := range pages {
		acked += p.acked
		total += counted[page]
		if counted[page] > p.sent {
			t.Errorf("%s counted %d times, sent only %d", page, counted[page], p.sent)
		}
		if n := p.acked - counted[page]; n > 0 {
			lost += n
			if age := killed.Sub(p.lastAck); age > oldestLoss {
				oldestLoss = age
			}
			if killed.Sub(p.lastAck) > bound {
				lostOld += n
				t.Errorf("%s: %d acknowledged, %d counted, though its last ack was %s before the kill",
					page, p.acked, counted[page], killed.Sub(p.lastAck).Round(time.Millisecond))
			}
		}
	}
	if acked < 500 {
		t.Fatalf("only %d events acknowledged: no load to speak of", acked)
	}
	t.Logf("acknowledged %d, counted after restart %d, lost %d (%.2f%%), all lost events acknowledged within %s of the kill",
		acked, total, lost, 100*float64(lost)/float64(acked), oldestLoss.Round(time.Millisecond))
	if total == 0 {
		t.Error("nothing counted after the restart")
	}
}
