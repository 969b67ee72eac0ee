package trackerjs

// The tally side of the end-to-end test: a server built from ./cmd/tally,
// and the Stats API questions the test asks it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tally is a tally server started from a binary built for the test.
type tally struct {
	base, key string
	port      int
	since     string // the UTC day the server started (the test site's zone is UTC)
}

func startTally(t *testing.T) *tally {
	t.Helper()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "tally")
	data := filepath.Join(tmp, "data")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tally")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tally: %v\n%s", err, out)
	}
	run := func(args ...string) string {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("tally %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		return string(out)
	}
	run("site", "add", siteID, "--data", data)
	lines := strings.Split(strings.TrimSpace(run("apikey", "create", "--data", data)), "\n")
	key := strings.TrimSpace(lines[len(lines)-1])

	port := freePort(t)
	var logs bytes.Buffer
	serve := exec.Command(bin, "serve", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--data", data)
	serve.Stdout, serve.Stderr = &logs, &logs
	if err := serve.Start(); err != nil {
		t.Fatalf("start tally serve: %v", err)
	}
	done := make(chan struct{})
	go func() {
		serve.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		serve.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			serve.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("tally serve output:\n%s", logs.String())
		}
	})

	s := &tally{base: fmt.Sprintf("http://127.0.0.1:%d", port), key: key, port: port, since: time.Now().UTC().Format(time.DateOnly)}
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(s.base + "/api/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-done:
			t.Fatalf("tally serve exited before it was healthy:\n%s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("tally serve not healthy after 15s (last error %v):\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type totals struct{ pageviews, events float64 }

func (c totals) add(pageviews, events float64) totals {
	return totals{c.pageviews + pageviews, c.events + events}
}

type queryResult struct {
	Metrics    []float64 `json:"metrics"`
	Dimensions []any     `json:"dimensions"`
}

// query asks the Stats API for the test site's numbers since the server
// started: from that day to today, so a run across midnight UTC still sees
// every event it sent.
func (s *tally) query(t *testing.T, metrics []string, dimensions []string) []queryResult {
	t.Helper()
	today := time.Now().UTC().Format(time.DateOnly)
	q := map[string]any{"site_id": siteID, "metrics": metrics, "date_range": []string{s.since, today}}
	if dimensions != nil {
		q["dimensions"] = dimensions
	}
	body, _ := json.Marshal(q)
	req, _ := http.NewRequest("POST", s.base+"/api/v2/query", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /api/v2/query: %v", err)
	}
	defer res.Body.Close()
	var answer struct {
		Results []queryResult `json:"results"`
	}
	raw := new(bytes.Buffer)
	raw.ReadFrom(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("POST /api/v2/query %s: %d %s", body, res.StatusCode, raw)
	}
	if err := json.Unmarshal(raw.Bytes(), &answer); err != nil {
		t.Fatalf("POST /api/v2/query %s: %v in %s", body, err, raw)
	}
	for _, r := range answer.Results {
		if len(r.Metrics) != len(metrics) {
			t.Fatalf("POST /api/v2/query %s: a result has %d metrics, want %d: %s", body, len(r.Metrics), len(metrics), raw)
		}
	}
	return answer.Results
}

func (s *tally) counts(t *testing.T) totals {
	t.Helper()
	results := s.query(t, []string{"pageviews", "events"}, nil)
	switch len(results) {
	case 0:
		return totals{}
	case 1:
		return totals{results[0].Metrics[0], results[0].Metrics[1]}
	}
	t.Fatalf("totals query gave %d results, want 1", len(results))
	return totals{}
}

// breakdown maps each value of one dimension to one metric.
func (s *tally) breakdown(t *testing.T, metric, dimension string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, r := range s.query(t, []string{metric}, []string{dimension}) {
		if len(r.Dimensions) != 1 {
			t.Fatalf("breakdown by %s: result %v has %d dimensions", dimension, r, len(r.Dimensions))
		}
		out[fmt.Sprint(r.Dimensions[0])] = r.Metrics[0]
	}
	return out
}

// waitCounts waits up to 10 s (CI machines are busy) for the totals to
// reach want, then checks that they stay there, so a late duplicate fails.
func (s *tally) waitCounts(t *testing.T, want totals) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	got := s.counts(t)
	for got != want && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		got = s.counts(t)
	}
	if got != want {
		t.Fatalf("pageviews, events = %v, %v; want %v, %v", got.pageviews, got.events, want.pageviews, want.events)
	}
	s.holdCounts(t, want)
}

// holdCounts checks that the totals stay at want for a while.
func (s *tally) holdCounts(t *testing.T, want totals) {
	t.Helper()
	for range 6 {
		time.Sleep(250 * time.Millisecond)
		if got := s.counts(t); got != want {
			t.Fatalf("pageviews, events = %v, %v; want them to stay %v, %v",
				got.pageviews, got.events, want.pageviews, want.events)
		}
	}
}
