package storetest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tally/aggregate/storetest"
)

// instance is one running `tally serve` process.
type instance struct {
	addr string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// buildTally builds the real binary once per test.
func buildTally(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tally")
	out, err := exec.Command("go", "build", "-o", bin, "tally/cmd/tally").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runTally(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("tally %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func startTally(t *testing.T, bin string, args ...string) *instance {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	in := &instance{addr: addr, log: &bytes.Buffer{}}
	in.cmd = exec.Command(bin, append([]string{"serve", "--listen", addr, "--checkpoint", "200ms", "--data", t.TempDir()}, args...)...)
	in.cmd.Stdout, in.cmd.Stderr = in.log, in.log
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.stop(t) })
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get("http://" + addr + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return in
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tally serve on %s did not become healthy; log:\n%s", addr, in.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the process with SIGTERM, so its final checkpoint runs.
func (in *instance) stop(t *testing.T) {
	if in.cmd.ProcessState != nil {
		return
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	if err := in.cmd.Wait(); err != nil {
		t.Errorf("tally serve on %s exited with %v; log:\n%s", in.addr, err, in.log)
	}
}

func (in *instance) event(t *testing.T, ua, page string) {
	t.Helper()
	body := fmt.Sprintf(`{"n":"pageview","u":"https://example.com%s?utm_source=newsletter","d":"example.com","r":"","w":1280}`, page)
	req, _ := http.NewRequest(http.MethodPost, "http://"+in.addr+"/api/event", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/event: %d %s", resp.StatusCode, b)
	}
}

// query asks the Stats API and returns its "results".
func (in *instance) query(t *testing.T, key, body string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+in.addr+"/api/v2/query", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Results json.RawMessage }
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/query %s: %d %s", body, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return string(out.Results)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// TestTwoInstancesAddUp runs the standard scenario through two `tally serve`
// processes sharing one ClickHouse — each visitor sticks to one of them, as
// a load balancer keyed on the client would do — and wants the answers a
// single instance (on the embedded store) gives for the same hits.
func TestTwoInstancesAddUp(t *testing.T) {
	twoInstances(t, "--clickhouse", storetest.ClickHouseDSN(t))
}

// TestTwoInstancesOnACluster is TestTwoInstancesAddUp on the 2 × 2
// cluster (--clickhouse-cluster).
func TestTwoInstancesOnACluster(t *testing.T) {
	c := storetest.ClickHouseCluster(t)
	twoInstances(t, "--clickhouse", c.DSN(t), "--clickhouse-cluster", storetest.ClusterName)
}

// twoInstances runs the scenario with store, the flags naming the store
// the two instances share.
func twoInstances(t *testing.T, store ...string) {
	bin := buildTally(t)
	with := func(args ...string) []string { return append(args, store...) }

	runTally(t, bin, with("site", "add", "example.com")...)
	clusterKey := lastLine(runTally(t, bin, with("apikey", "create")...))
	a := startTally(t, bin, store...)
	b := startTally(t, bin, store...)

	single := t.TempDir()
	runTally(t, bin, "site", "add", "example.com", "--data", single)
	singleKey := lastLine(runTally(t, bin, "apikey", "create", "--data", single))
	one := startTally(t, bin, "--data", single)

	for i, ua := range standardUAs {
		sticky := []*instance{a, b}[i%2]
		for _, page := range []string{"/", "/pricing", "/docs"} {
			sticky.event(t, ua, page)
			one.event(t, ua, page)
		}
	}

	queries := []string{
		`{"site_id":"example.com","metrics":["visitors","visits","pageviews","bounce_rate","views_per_visit"],"date_range":"day"}`,
		`{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":"day","dimensions":["event:page"]}`,
		`{"site_id":"example.com","metrics":["visitors","visits"],"date_range":"day","dimensions":["visit:browser"]}`,
		`{"site_id":"example.com","metrics":["visitors"],"date_range":"day","dimensions":["visit:utm_source","visit:entry_page"]}`,
		`{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":"7d","dimensions":["time:day"],"filters":[["is","visit:browser",["Firefox"]]]}`,
	}
	want := make([]string, len(queries))
	for i, q := range queries {
		want[i] = one.query(t, singleKey, q)
	}
	if want[0] != `[{"metrics":[10,10,30,0,3],"dimensions":[]}]` {
		t.Fatalf("single instance totals = %s, want 10 visitors, 10 visits, 30 pageviews", want[0])
	}
	t.Logf("single-instance answers: %s", strings.Join(want, " "))
	// Each instance sees its own open cells and the other's checkpoints
	// (every 200 ms), so both converge on the single-instance answers.
	for _, in := range []*instance{a, b} {
		for i, q := range queries {
			var got string
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				if got = in.query(t, clusterKey, q); got == want[i] || time.Now().After(deadline) {
					break
				}
			}
			if got != want[i] {
				t.Errorf("instance %s, query %s:\n got %s\nwant %s", in.addr, q, got, want[i])
			}
		}
	}
	// After both stop (final checkpoints), the stored cells alone agree too.
	a.stop(t)
	b.stop(t)
	c := startTally(t, bin, store...)
	for i, q := range queries {
		if got := c.query(t, clusterKey, q); got != want[i] {
			t.Errorf("after a restart, query %s:\n got %s\nwant %s", q, got, want[i])
		}
	}
}
